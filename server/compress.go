package server

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/labstack/echo/v4"
)

// gzipLevel compresses nearly as well as the default level at a third of
// its cost.
const gzipLevel = 1

// compress gzips responses of 4 kB and more for clients that accept it.
// A smaller page arrives in the same round trip compressed or not: the
// receipt after each submit is under 2 kB, and echo's own gzip middleware
// set up a compressor of about a megabyte for it anyway, which at peak was
// most of the server's memory. A response that already carries a
// Content-Encoding (the blank form, see gzipSlot) or is an image passes
// through. Errors are rendered inside, so error pages are compressed too.
func compress() (echo.MiddlewareFunc, error) {
	gz, err := gzhttp.NewWrapper(gzhttp.MinSize(4096), gzhttp.CompressionLevel(gzipLevel), gzhttp.EnableZstd(false))
	if err != nil {
		return nil, err
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			res := c.Response()
			plain := res.Writer
			gz(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res.Writer = w
				if err := next(c); err != nil {
					c.Error(err)
				}
			})).ServeHTTP(plain, c.Request())
			res.Writer = plain
			return nil
		}
	}, nil
}
