// Proof of work for a submission (see server/stuffing.go): find a nonce
// such that SHA-256(token ":" nonce) starts with the number of zero bits
// the form asks for (data-pow), then submit. SHA-256 is written out here
// because crypto.subtle needs https and is slow for many small hashes.
(function () {
  'use strict';
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  var W = new Int32Array(64);

  // sha256 of an ASCII string, as eight 32-bit words.
  function sha256(s) {
    var l = s.length, n = ((l + 9 + 63) >> 6) << 6, m = new Uint8Array(n), i;
    for (i = 0; i < l; i++) m[i] = s.charCodeAt(i);
    m[l] = 0x80;
    var bits = l * 8;
    m[n - 4] = bits >>> 24; m[n - 3] = (bits >>> 16) & 255; m[n - 2] = (bits >>> 8) & 255; m[n - 1] = bits & 255;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
        h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var off = 0; off < n; off += 64) {
      for (i = 0; i < 16; i++) {
        var j = off + 4 * i;
        W[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0, h1, h2, h3, h4, h5, h6, h7];
  }

  function zeroBits(h) {
    var n = 0;
    for (var i = 0; i < h.length; i++) {
      var z = Math.clz32(h[i]);
      n += z;
      if (z < 32) break;
    }
    return n;
  }

  var form = document.querySelector('form[data-pow]');
  if (!form) return;
  var need = parseInt(form.getAttribute('data-pow'), 10);
  var token = form.querySelector('input[name=token]').value;
  var field = form.querySelector('input[name=pow]');
  var status = document.getElementById('pow-status');
  var button = form.querySelector('button[type=submit]');
  var busy = false;
  form.addEventListener('submit', function (ev) {
    if (field.value !== '') return;
    ev.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    status.textContent = '正在进行安全验证，请稍候（通常不超过几秒）……';
    var nonce = 0;
    (function step() {
      var stop = nonce + 20000;
      for (; nonce < stop; nonce++) {
        if (zeroBits(sha256(token + ':' + nonce)) >= need) {
          field.value = String(nonce);
          status.textContent = '验证完成，正在提交……';
          form.submit();
          return;
        }
      }
      setTimeout(step, 0);
    })();
  });
})();
