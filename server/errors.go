package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/county"
	"renke/refusal"
	"renke/survey"
)

// storeError is the one place where domain errors become HTTP errors: a
// refusal keeps its Chinese message with 422 or 409, a missing resource
// is 404, and anything else is the server's failure.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if r, ok := refusal.As(err); ok {
		code := http.StatusUnprocessableEntity
		switch r.Kind {
		case refusal.Conflict:
			code = http.StatusConflict
		case refusal.Forbidden:
			code = http.StatusForbidden
		}
		return echo.NewHTTPError(code, r.Msg)
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, county.ErrNotFound), errors.Is(err, survey.ErrNotFound), errors.Is(err, assessment.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "资源不存在")
	case errors.Is(err, survey.ErrNotFlagged):
		return echo.NewHTTPError(http.StatusNotFound, "这份答卷不在审核队列中：只有被标记的样本内答卷可以审核。")
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return echo.NewHTTPError(http.StatusConflict, "名称或代码已存在")
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return echo.NewHTTPError(http.StatusConflict, "仍有数据引用此项，不能删除")
	}
	return err
}

// refused is the status and message a console page shows for a refused
// action; ok is false for any other error, which the error page answers.
func refused(err error) (code int, msg string, ok bool) {
	var he *echo.HTTPError
	if !errors.As(storeError(err), &he) || (he.Code != http.StatusUnprocessableEntity && he.Code != http.StatusConflict && he.Code != http.StatusForbidden) {
		return 0, "", false
	}
	msg, _ = he.Message.(string)
	return he.Code, msg, true
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, so a typo never silently changes nothing.
func decode(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return echo.NewHTTPError(http.StatusBadRequest, "请求内容不是有效的 JSON："+err.Error())
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "请求内容在 JSON 之后还有多余数据")
	}
	return nil
}

func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "资源不存在")
	}
	return id, nil
}

// respond answers an API action with its result, or its error mapped by
// storeError.
func respond(c echo.Context, code int, v any, err error) error {
	if err != nil {
		return storeError(err)
	}
	return c.JSON(code, v)
}
