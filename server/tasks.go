package server

// The annual task list (年度任务清单) and the departments (责任清单):
// /console/units/:unit/tasks…, /console/units/:unit/departments and their
// /api/v1 twins.

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/workbook"
)

// taskForm reads a task from the console's form.
func taskForm(c echo.Context) assessment.Task {
	return assessment.Task{Title: c.FormValue("title"), Goal: c.FormValue("goal"), Lead: assessment.Departments(c.FormValue("lead")),
		Partners: assessment.Departments(c.FormValue("partners")), DueText: c.FormValue("due")}
}

// taskID is :task, or 0 on the route that creates one.
func taskID(c echo.Context) (int64, error) {
	if c.Param("task") == "" {
		return 0, nil
	}
	return idParam(c, "task")
}

// saveTaskForm is POST /console/units/:unit/tasks (new) and …/tasks/:task.
func (s *Server) saveTaskForm(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	t := taskForm(c)
	if t.ID, err = taskID(c); err != nil {
		return err
	}
	anchor := "new-task"
	if t.ID != 0 {
		anchor = fmt.Sprintf("task-%d", t.ID)
	}
	t, err = s.assessments.SaveTask(c.Request().Context(), u.ID, t, username(c))
	if err != nil {
		return s.ledgerRefused(c, err, anchor)
	}
	return s.ledgerDone(c, fmt.Sprintf("task-%d", t.ID), fmt.Sprintf("已保存任务 %d：%s", t.No, t.Title))
}

// taskJSON is a task as the API takes it.
type taskJSON struct {
	No       int      `json:"no"`
	Title    string   `json:"title"`
	Goal     string   `json:"goal"`
	Lead     []string `json:"lead"`
	Partners []string `json:"partners"`
	DueText  string   `json:"due_text"`
}

// apiSaveTask is POST /api/v1/units/:unit/tasks and PUT …/tasks/:task.
func (s *Server) apiSaveTask(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	var in taskJSON
	if err := decode(c, &in); err != nil {
		return err
	}
	t := assessment.Task{No: in.No, Title: in.Title, Goal: in.Goal, Lead: in.Lead, Partners: in.Partners, DueText: in.DueText}
	if t.ID, err = taskID(c); err != nil {
		return err
	}
	code := http.StatusOK
	if t.ID == 0 {
		code = http.StatusCreated
	}
	t, err = s.assessments.SaveTask(c.Request().Context(), u.ID, t, username(c))
	if err != nil {
		return storeError(err)
	}
	t, err = s.assessments.Task(c.Request().Context(), u.ID, t.ID, s.now())
	return respond(c, code, t, err)
}

// apiTasks is GET /api/v1/units/:unit/tasks.
func (s *Server) apiTasks(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	ts, err := s.assessments.Tasks(c.Request().Context(), u.ID, s.now())
	return respond(c, http.StatusOK, ts, err)
}

// progressForm is POST /console/units/:unit/tasks/:task/progress.
func (s *Server) progressForm(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "task")
	if err != nil {
		return err
	}
	p := assessment.Progress(c.FormValue("progress"))
	if err := s.assessments.SetProgress(c.Request().Context(), u.ID, id, p, username(c)); err != nil {
		return s.ledgerRefused(c, err, fmt.Sprintf("task-%d", id))
	}
	return s.ledgerDone(c, fmt.Sprintf("task-%d", id), "已更新任务进展："+p.Name())
}

// apiProgress is POST /api/v1/units/:unit/tasks/:task/progress {"progress": "in_progress"}.
func (s *Server) apiProgress(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "task")
	if err != nil {
		return err
	}
	var in struct {
		Progress assessment.Progress `json:"progress"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.assessments.SetProgress(c.Request().Context(), u.ID, id, in.Progress, username(c)); err != nil {
		return storeError(err)
	}
	t, err := s.assessments.Task(c.Request().Context(), u.ID, id, s.now())
	return respond(c, http.StatusOK, t, err)
}

// link links a task to problems and indicators.
func (s *Server) link(c echo.Context, problems []int64, indicators []string) (int64, error) {
	u, err := s.unit(c)
	if err != nil {
		return 0, err
	}
	id, err := idParam(c, "task")
	if err != nil {
		return 0, err
	}
	return id, s.assessments.Link(c.Request().Context(), u, id, problems, indicators, username(c))
}

// linkForm is POST /console/units/:unit/tasks/:task/links: problems by
// their numbers (one field, comma-separated, or checkboxes) and indicators.
func (s *Server) linkForm(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	problems, err := idList(form["problem"])
	if err != nil {
		return err
	}
	var inds []string
	for _, v := range form["indicator"] {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' }) {
			inds = append(inds, f)
		}
	}
	id, err := s.link(c, problems, inds)
	if err != nil {
		return s.ledgerRefused(c, err, "task-"+c.Param("task"))
	}
	return s.ledgerDone(c, fmt.Sprintf("task-%d", id), "已关联问题与指标")
}

// apiLink is POST /api/v1/units/:unit/tasks/:task/links {"problems": [1], "indicators": ["2.5"]}.
func (s *Server) apiLink(c echo.Context) error {
	var in struct {
		Problems   []int64  `json:"problems"`
		Indicators []string `json:"indicators"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	id, err := s.link(c, in.Problems, in.Indicators)
	if err != nil {
		return storeError(err)
	}
	u, _ := s.unit(c)
	t, err := s.assessments.Task(c.Request().Context(), u.ID, id, s.now())
	return respond(c, http.StatusOK, t, err)
}

// importTasks reads the uploaded task workbook and writes it.
func (s *Server) importTasks(c echo.Context) (added, updated int, err error) {
	u, err := s.unit(c)
	if err != nil {
		return 0, 0, err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return 0, 0, &workbook.ImportError{Problems: []workbook.CellError{{Message: "请选择要导入的年度任务清单（.xlsx）"}}}
	}
	f, err := fh.Open()
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	tasks, err := workbook.ParseTasks(f)
	if err != nil {
		return 0, 0, err
	}
	return s.assessments.ImportTasks(c.Request().Context(), u.ID, tasks, username(c))
}

// importTasksForm is POST /console/units/:unit/tasks/import.
func (s *Server) importTasksForm(c echo.Context) error {
	added, updated, err := s.importTasks(c)
	if err != nil {
		return s.ledgerRefused(c, err, "import-tasks")
	}
	return s.ledgerDone(c, "tasks", fmt.Sprintf("已导入年度任务清单：新增 %d 项，按序号更新 %d 项", added, updated))
}

// apiImportTasks is POST /api/v1/units/:unit/tasks/import (multipart "file").
func (s *Server) apiImportTasks(c echo.Context) error {
	added, updated, err := s.importTasks(c)
	if ie, ok := workbook.IsImportError(err); ok {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"message": ie.Error(), "problems": ie.Problems})
	}
	return respond(c, http.StatusOK, map[string]int{"added": added, "updated": updated}, err)
}

// exportTasks is GET /console/units/:unit/tasks.xlsx (and the API's): the
// task list in the seed's columns.
func (s *Server) exportTasks(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	ts, err := s.assessments.Tasks(c.Request().Context(), u.ID, s.now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.Tasks(&buf, ts, s.now()); err != nil {
		return err
	}
	return attachment(c, u.Name+"-年度任务清单.xlsx", xlsxType, buf.Bytes())
}

// addDepartmentForm is POST /console/units/:unit/departments.
func (s *Server) addDepartmentForm(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	if err := s.assessments.AddDepartment(c.Request().Context(), u.ID, name); err != nil {
		return s.ledgerRefused(c, err, "departments")
	}
	return s.ledgerDone(c, "departments", "已添加部门："+name)
}

// apiDepartments is GET /api/v1/units/:unit/departments.
func (s *Server) apiDepartments(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	ds, err := s.assessments.Departments(c.Request().Context(), u.ID)
	return respond(c, http.StatusOK, ds, err)
}

// apiAddDepartment is POST /api/v1/units/:unit/departments {"name": "区财政局"}.
func (s *Server) apiAddDepartment(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.assessments.AddDepartment(c.Request().Context(), u.ID, in.Name); err != nil {
		return storeError(err)
	}
	ds, err := s.assessments.Departments(c.Request().Context(), u.ID)
	return respond(c, http.StatusCreated, ds, err)
}
