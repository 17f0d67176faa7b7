package server

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route of the service.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/static/*", assets())

	// Respondents (public).
	e.GET("/s/:code", s.showForm)
	e.POST("/s/:code", s.submitForm)
	e.GET("/s/:code/qr.png", s.qrCode)
	e.GET("/s/:code/poster", s.poster)

	// Staff console (HTML). Every state change carries a CSRF token.
	con := e.Group("/console", s.csrf())
	con.GET("/login", s.showLogin)
	con.POST("/login", s.submitLogin)
	con.POST("/logout", s.submitLogout)
	cs := con.Group("", s.requireConsole)
	cs.GET("", s.consoleHome)
	cs.GET("/evaluation/template.xlsx", s.schoolsTemplate)
	cs.GET("/units/:unit/evaluation", s.showEvaluation)
	cs.POST("/units/:unit/evaluation/import", s.importSchools, middleware.BodyLimit("9M"))
	cs.POST("/units/:unit/evaluation/findings", s.saveFindings)
	cs.GET("/units/:unit/evaluation/report", s.evaluationReport)
	cs.GET("/units/:unit/evaluation/report.xlsx", s.evaluationWorkbook)
	cs.GET("/units/:unit/evaluation/schools.xlsx", s.exportSchools)
	cs.GET("/units/:unit/evaluation/schools/new", s.schoolForm)
	cs.POST("/units/:unit/evaluation/schools", s.saveSchool)
	cs.GET("/units/:unit/evaluation/schools/:school", s.schoolForm)
	cs.POST("/units/:unit/evaluation/schools/:school", s.saveSchool)

	// Staff API.
	api := e.Group("/api/v1")
	api.POST("/login", s.login)
	api.POST("/logout", s.logout)
	a := api.Group("", s.requireStaff)
	a.GET("/me", s.me)
	a.GET("/units", s.listUnits)
	a.POST("/units", s.createUnit)
	a.GET("/units/:unit", s.getUnit)
	a.PUT("/units/:unit", s.updateUnit)
	a.GET("/units/:unit/schools", s.listSchools)
	a.POST("/units/:unit/schools", s.createSchool)
	a.PUT("/units/:unit/schools/:school", s.updateSchool)
	a.DELETE("/units/:unit/schools/:school", s.deleteSchool)
	a.GET("/units/:unit/campaigns", s.listCampaigns)
	a.POST("/units/:unit/campaigns", s.createCampaign)
	a.GET("/campaigns/:campaign", s.getCampaign)
	a.PUT("/campaigns/:campaign", s.updateCampaign)
	a.GET("/campaigns/:campaign/allocation", s.allocation)
	a.POST("/campaigns/:campaign/open", s.openCampaign)
	a.POST("/campaigns/:campaign/close", s.closeCampaign)
	a.GET("/campaigns/:campaign/questionnaires", s.listForms)
	a.PUT("/campaigns/:campaign/questionnaires/:kind", s.updateForm)
	a.GET("/campaigns/:campaign/links", s.listLinks)
	a.POST("/campaigns/:campaign/links", s.createLink)
	a.GET("/campaigns/:campaign/progress", s.progress)
	a.GET("/campaigns/:campaign/report", s.report)
	a.GET("/profiles", s.apiProfiles)
	a.GET("/units/:unit/evaluation", s.apiEvaluation)
}
