package server

import "github.com/labstack/echo/v4"

// routes lists every route of the service.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/static/*", assets())

	// Respondents (public).
	e.GET("/s/:code", s.showForm)
	e.POST("/s/:code", s.submitForm)
	e.GET("/s/:code/qr.png", s.qrCode)
	e.GET("/s/:code/poster", s.poster)

	// Staff routes with a Chinese name are staff actions: the audit log
	// records each call with who, when, from where and on which unit.

	// Staff console (HTML). Every state change carries a CSRF token.
	con := e.Group("/console", s.csrf())
	con.GET("/login", s.showLogin)
	con.POST("/login", s.submitLogin)
	con.POST("/logout", s.submitLogout)
	cs := con.Group("", s.requireConsole, s.audited)
	cs.GET("/audit", s.auditLog)
	cs.GET("", s.consoleHome)
	cs.GET("/evaluation/template.xlsx", s.schoolsTemplate).Name = "下载学校统计模板"
	cs.GET("/units/:unit/evaluation", s.showEvaluation)
	cs.POST("/units/:unit/evaluation/import", s.importSchools).Name = "导入学校统计数据"
	cs.POST("/units/:unit/evaluation/findings", s.saveFindings).Name = "保存县级数据与评定"
	cs.GET("/units/:unit/evaluation/report", s.evaluationReport)
	cs.GET("/units/:unit/evaluation/report.xlsx", s.evaluationWorkbook).Name = "导出评估结果"
	cs.GET("/units/:unit/evaluation/schools.xlsx", s.exportSchools).Name = "导出学校统计数据"
	cs.GET("/units/:unit/evaluation/schools/new", s.schoolForm)
	cs.POST("/units/:unit/evaluation/schools", s.saveSchool).Name = "添加学校统计数据"
	cs.GET("/units/:unit/evaluation/schools/:school", s.schoolForm)
	cs.POST("/units/:unit/evaluation/schools/:school", s.saveSchool).Name = "修改学校统计数据"

	// Staff API.
	api := e.Group("/api/v1")
	api.POST("/login", s.login)
	api.POST("/logout", s.logout)
	a := api.Group("", s.requireStaff, s.audited)
	a.GET("/me", s.me)
	a.GET("/units", s.listUnits)
	a.POST("/units", s.createUnit).Name = "创建评价单位"
	a.GET("/units/:unit", s.getUnit)
	a.PUT("/units/:unit", s.updateUnit).Name = "修改评价单位"
	a.GET("/units/:unit/schools", s.listSchools)
	a.POST("/units/:unit/schools", s.createSchool).Name = "添加学校"
	a.PUT("/units/:unit/schools/:school", s.updateSchool).Name = "修改学校"
	a.DELETE("/units/:unit/schools/:school", s.deleteSchool).Name = "删除学校"
	a.GET("/units/:unit/campaigns", s.listCampaigns)
	a.POST("/units/:unit/campaigns", s.createCampaign).Name = "创建调查"
	a.GET("/campaigns/:campaign", s.getCampaign)
	a.PUT("/campaigns/:campaign", s.updateCampaign).Name = "修改调查"
	a.GET("/campaigns/:campaign/allocation", s.allocation)
	a.POST("/campaigns/:campaign/open", s.openCampaign).Name = "开始调查"
	a.POST("/campaigns/:campaign/close", s.closeCampaign).Name = "结束调查"
	a.GET("/campaigns/:campaign/questionnaires", s.listForms)
	a.PUT("/campaigns/:campaign/questionnaires/:kind", s.updateForm).Name = "修改问卷"
	a.GET("/campaigns/:campaign/links", s.listLinks)
	a.POST("/campaigns/:campaign/links", s.createLink).Name = "创建问卷链接"
	a.GET("/campaigns/:campaign/progress", s.progress)
	a.GET("/campaigns/:campaign/report", s.report)
	a.GET("/profiles", s.apiProfiles)
	a.GET("/units/:unit/evaluation", s.apiEvaluation)
}
