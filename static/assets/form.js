// 长辈模式 and 朗读 on the respondent pages. The pages work without this
// script: the large-type switch is a checkbox that CSS reads (:has); the
// script keeps the choice for the rest of the visit (sessionStorage) and
// where the browser can speak, adds a 朗读 button to every question.
(function () {
  var d = document, root = d.documentElement, box = d.getElementById('elder'), key = 'renke-elder';
  function set(on) {
    root.classList.toggle('elder', on);
    if (box) box.checked = on;
    try { if (on) sessionStorage.setItem(key, '1'); else sessionStorage.removeItem(key); } catch (e) {}
  }
  var kept = false;
  try { kept = sessionStorage.getItem(key) === '1'; } catch (e) {}
  set(kept || !!(box && box.checked));
  if (box) box.addEventListener('change', function () { set(box.checked); });

  var synth = window.speechSynthesis;
  if (!synth || !window.SpeechSynthesisUtterance) return; // no speech: no buttons
  [].forEach.call(d.querySelectorAll('fieldset'), function (fs) {
    var legend = fs.querySelector('legend');
    var opts = [].map.call(fs.querySelectorAll('.opts label'), function (l) { return l.textContent.trim(); });
    if (!legend || !opts.length) return;
    var q = legend.textContent.trim().replace(/^(\d+)\/(\d+)/, '第$1题，共$2题。');
    var b = d.createElement('button');
    b.type = 'button';
    b.className = 'say';
    b.textContent = '朗读';
    b.setAttribute('aria-label', '朗读：' + legend.textContent.trim());
    b.addEventListener('click', function () {
      synth.cancel();
      var u = new SpeechSynthesisUtterance(q + (/[。？！?!]$/.test(q) ? '' : '。') + '选项：' + opts.join('；') + '。');
      u.lang = 'zh-CN';
      u.rate = 0.9;
      synth.speak(u);
    });
    legend.parentNode.insertBefore(b, legend.nextSibling);
  });
})();
