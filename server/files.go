package server

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// Files the console hands out.

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// download marks the response as a file to save under name.
func download(c echo.Context, name string) {
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(name))
	c.Response().Header().Set("Cache-Control", "no-store")
}

func attachment(c echo.Context, name, contentType string, b []byte) error {
	download(c, name)
	return c.Blob(http.StatusOK, contentType, b)
}
