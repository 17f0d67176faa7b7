package server

import (
	"github.com/labstack/echo/v4"

	"renke/assessment"
)

// routes lists every route of the service.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", assets())

	// Respondents (public).
	e.GET(formPath, s.showForm)
	e.POST(formPath, s.submitForm)
	e.GET("/s/:code/receipt", s.receiptPage)
	e.GET("/s/:code/wx", s.wechatReturn)
	e.GET("/s/:code/qr.png", s.qrCode)
	e.GET("/s/:code/poster", s.poster)
	e.GET("/check", s.checkReceipt)

	// The sample logs (public, for witnesses and reviewers; openapi.yaml).
	e.GET("/log/key", s.logKey)
	lg := e.Group("/log/campaigns/:campaign")
	lg.GET("/checkpoint", s.latestCheckpoint)
	lg.GET("/status", s.logStatus)
	lg.GET("/checkpoints/:size", s.checkpointAt)
	lg.GET("/proof/inclusion", s.inclusionProof)
	lg.GET("/proof/consistency", s.consistencyProof)
	lg.GET("/leaves", s.leafHashes)
	lg.GET("/tile/*", s.tile)
	lg.GET("/cosignatures", s.cosignatures)
	lg.POST("/cosignatures", s.addCosignature)
	// The signed audit log (audit/log.go), served the same way.
	al := e.Group("/log/audit")
	al.GET("/checkpoint", s.auditLatestCheckpoint)
	al.GET("/status", s.auditLogStatus)
	al.GET("/checkpoints/:size", s.auditCheckpointAt)
	al.GET("/proof/inclusion", s.auditInclusionProof)
	al.GET("/proof/consistency", s.auditConsistencyProof)
	al.GET("/leaves", s.auditLeafHashes)
	al.GET("/cosignatures", s.auditCosignatures)
	al.POST("/cosignatures", s.auditAddCosignature)

	// Staff routes with a Chinese name are staff actions: the audit log
	// records each call with who, when, from where and on which unit.
	// Every unit and campaign is looked up in the caller's scope, so
	// another unit's resources answer 404; reviewers may only read.

	// Staff console (HTML). Every state change carries a CSRF token.
	con := e.Group("/console", s.csrf())
	con.GET("/login", s.showLogin)
	con.POST("/login", s.submitLogin)
	con.POST("/logout", s.submitLogout)
	cs := con.Group("", s.requireConsole, s.readOnly, s.audited)
	cs.GET("/second-factor", s.showSecondFactor)
	cs.POST("/second-factor", s.submitSecondFactor).Name = "二次验证"
	cs.POST("/second-factor/enrolment", s.submitEnrolment).Name = "绑定动态口令"
	cs.GET("", s.consoleHome)
	cs.GET("/units-template.xlsx", s.unitsTemplate)
	cs.POST("/regions", s.importRegionUnits).Name = "导入地区评价单位"
	cs.GET("/regions/:region", s.showRegion)
	cs.GET("/regions/:region/units.xlsx", s.exportRegionUnits).Name = "导出地区评价单位名单"
	cs.GET("/regions/:region/schools.xlsx", s.exportRegionSchools).Name = "导出地区各单位学校名单"
	cs.POST("/regions/:region/schools", s.importRegionSchools).Name = "导入地区各单位学校名单"
	cs.GET("/regions/:region/evaluation", s.showRegionEvaluation)
	cs.GET("/regions/:region/evaluation.xlsx", s.exportRegionEvaluation).Name = "导出地区各单位指标评估"
	cs.GET("/regions/:region/posters", s.regionPosters)
	cs.GET("/regions/:region/dossier", s.regionDossier)
	cs.GET("/regions/:region/qr.zip", s.regionQRZip).Name = "下载地区二维码"
	cs.GET("/regions/:region/export.xlsx", s.exportRegion).Name = "导出地区总览"
	cs.POST("/regions/:region/campaigns", s.createRegionSurvey).Name = "为地区各单位创建调查"
	cs.POST("/regions/:region/open", s.openRegion).Name = "地区各单位开始调查"
	cs.POST("/regions/:region/close", s.closeRegion).Name = "地区各单位结束调查"
	cs.GET("/regions/:region/ledger", s.showRegionLedger)
	cs.GET("/regions/:region/ledger.xlsx", s.exportRegionLedger).Name = "导出地区整改台账"
	cs.GET("/schools-template.xlsx", s.rosterTemplate)
	cs.GET("/evaluation/template.xlsx", s.schoolsTemplate).Name = "下载学校统计模板"

	// The administrators' routes: which role takes each is in roles.go.
	cs.GET("/audit", s.auditLog)
	cs.GET("/audit.xlsx", s.exportAuditLog).Name = "导出操作日志"
	cs.GET("/accounts", s.showAccounts)
	cs.POST("/accounts", s.createAccount).Name = "创建账号"
	cs.POST("/accounts/:account", s.updateAccount).Name = "修改账号"
	cs.POST("/accounts/:account/disable", s.setDisabled(true)).Name = "停用账号"
	cs.POST("/accounts/:account/enable", s.setDisabled(false)).Name = "启用账号"
	cs.POST("/accounts/:account/sessions/:session/end", s.endSession).Name = "结束登录会话"
	cs.POST("/accounts/:account/second-factor/reset", s.resetSecondFactor).Name = "解除动态口令绑定"
	cs.GET("/units/new", s.newUnit)
	cs.POST("/units/preview", s.saveUnit)
	cs.POST("/units", s.saveUnit).Name = "创建评价单位"

	cs.GET("/units/:unit", s.showUnit)
	cs.POST("/units/:unit", s.saveUnit).Name = "修改评价单位"
	cs.POST("/units/:unit/preview", s.saveUnit)
	cs.GET("/units/:unit/schools.xlsx", s.exportRoster).Name = "导出学校名单"
	cs.POST("/units/:unit/schools/import", s.importRoster).Name = "导入学校名单"
	cs.POST("/units/:unit/schools", s.addSchool).Name = "添加学校"
	cs.POST("/units/:unit/schools/:school/delete", s.removeSchool).Name = "删除学校"
	cs.POST("/units/:unit/campaigns", s.newCampaign).Name = "创建调查"
	cs.GET("/campaigns/:campaign", s.showCampaign)
	cs.POST("/campaigns/:campaign", s.saveCampaign).Name = "修改调查"
	cs.POST("/campaigns/:campaign/open", s.openCampaignForm).Name = "开始调查"
	cs.GET("/campaigns/:campaign/close", s.confirmClose)
	cs.POST("/campaigns/:campaign/close", s.closeCampaignForm).Name = "结束调查"
	cs.POST("/campaigns/:campaign/reopen", s.reopenCampaignForm).Name = "重新开放调查"
	cs.GET("/campaigns/:campaign/progress", s.showSourceProgress)
	cs.GET("/campaigns/:campaign/progress.xlsx", s.exportSourceProgress).Name = "导出学校与链接进度"
	cs.GET("/campaigns/:campaign/questionnaires/:kind", s.showQuestionnaire)
	cs.POST("/campaigns/:campaign/questionnaires/:kind", s.saveQuestionnaire).Name = "修改问卷"
	cs.GET("/campaigns/:campaign/questionnaires/:kind/preview", s.previewQuestionnaire)
	cs.POST("/campaigns/:campaign/links", s.createLinks).Name = "生成问卷链接"
	cs.GET("/campaigns/:campaign/posters", s.posters)
	cs.GET("/campaigns/:campaign/qr.zip", s.qrZip).Name = "下载二维码"
	cs.GET("/campaigns/:campaign/dashboard", s.dashboard)
	cs.GET("/campaigns/:campaign/dossier", s.dossier)
	cs.POST("/campaigns/:campaign/statements", s.declareStatementForm).Name = "生成结果声明"
	cs.GET("/campaigns/:campaign/review", s.showReview)
	cs.POST("/campaigns/:campaign/review/:response", s.decide).Name = "审核答卷"
	cs.GET("/campaigns/:campaign/verify", s.showVerify).Name = "校验样本日志"
	cs.GET("/campaigns/:campaign/responses.xlsx", s.exportResponses).Name = "导出答卷（Excel）"
	cs.GET("/campaigns/:campaign/responses.csv", s.exportResponses).Name = "导出答卷（CSV）"
	cs.GET("/campaigns/:campaign/tables.xlsx", s.exportTables).Name = "导出统计表"

	cs.GET("/units/:unit/evaluation", s.showEvaluation)
	cs.POST("/units/:unit/evaluation/import", s.importSchools).Name = "导入学校统计数据"
	cs.POST("/units/:unit/evaluation/findings", s.saveFindings).Name = "保存县级数据与评定"
	cs.GET("/units/:unit/evaluation/report", s.evaluationReport)
	cs.GET("/units/:unit/evaluation/report.xlsx", s.evaluationWorkbook).Name = "导出评估结果"
	cs.GET("/units/:unit/evaluation/schools.xlsx", s.exportSchools).Name = "导出学校统计数据"
	cs.GET("/units/:unit/evaluation/template.xlsx", s.unitSchoolsTemplate).Name = "下载学校统计模板"
	cs.POST("/units/:unit/evaluation/evidence", s.findingEvidenceForm).Name = "上传评定佐证材料"
	cs.POST("/units/:unit/evaluation/not-applicable", s.notApplicableForm).Name = "申报不适用"
	cs.POST("/units/:unit/evaluation/not-applicable/evidence", s.notApplicableEvidenceForm).Name = "上传不适用佐证材料"
	cs.POST("/units/:unit/evaluation/not-applicable/accept", s.acceptNotApplicableForm, s.reviewerOnly).Name = "认可不适用"
	cs.GET("/units/:unit/evaluation/schools/new", s.schoolForm)
	cs.POST("/units/:unit/evaluation/schools", s.saveSchool).Name = "添加学校统计数据"
	cs.GET("/units/:unit/evaluation/schools/:school", s.schoolForm)
	cs.POST("/units/:unit/evaluation/schools/:school", s.saveSchool).Name = "修改学校统计数据"

	// The county's year: rounds, the problem and task lists, evidence.
	cs.GET("/units/:unit/rounds", s.showRounds)
	cs.POST("/units/:unit/rounds", s.freezeRound).Name = "冻结自查自评轮次"
	cs.GET("/units/:unit/rounds/compare", s.showComparison)
	cs.GET("/units/:unit/rounds/:no", s.showRound)
	cs.GET("/units/:unit/rounds/:no/package.zip", s.roundPackage).Name = "下载申报材料"
	cs.GET("/units/:unit/rounds/:no/report.docx", s.reportDocx).Name = "下载自评报告"
	cs.GET("/units/:unit/rounds/:no/registration", s.showRegistration)
	cs.POST("/units/:unit/rounds/:no/narrative", s.roundAction(false, s.narrativeForm)).Name = "保存自评报告文字"
	cs.POST("/units/:unit/rounds/:no/sign-off", s.roundAction(false, s.signOff), s.headOnly).Name = "签发自查自评"
	cs.POST("/units/:unit/rounds/:no/submit", s.roundAction(false, s.submitRound)).Name = "报送市级复核"
	cs.POST("/units/:unit/rounds/:no/opinions", s.roundAction(false, s.reviewRound), s.reviewerOnly).Name = "记录复核意见"
	cs.POST("/units/:unit/rounds/:no/conclusion", s.roundAction(false, s.concludeRound), s.reviewerOnly).Name = "作出复核结论"
	cs.GET("/units/:unit/ledger", s.showLedger)
	cs.GET("/units/:unit/ledger.xlsx", s.exportLedger).Name = "导出问题清单与任务台账"
	cs.GET("/units/:unit/ledger/schools/:school", s.showSchoolLedger)
	cs.GET("/units/:unit/ledger/schools/:school/ledger.xlsx", s.exportSchoolLedger).Name = "导出一校一策台账"
	cs.POST("/units/:unit/problems/:problem/strike", s.strikeForm("problem", "问题", s.assessments.StrikeOff)).Name = "决定问题销号"
	cs.POST("/units/:unit/problems/:problem/evidence", s.attachForm(assessment.SubjectProblem, "problem")).Name = "上传问题佐证材料"
	cs.GET("/units/:unit/evidence/:evidence", s.evidenceFile).Name = "下载佐证材料"
	cs.GET("/units/:unit/tasks.xlsx", s.exportTasks).Name = "导出年度任务清单"
	cs.POST("/units/:unit/tasks/import", s.importTasksForm).Name = "导入年度任务清单"
	cs.POST("/units/:unit/tasks", s.saveTaskForm).Name = "添加任务"
	cs.POST("/units/:unit/tasks/:task", s.saveTaskForm).Name = "修改任务"
	cs.POST("/units/:unit/tasks/:task/progress", s.progressForm).Name = "更新任务进展"
	cs.POST("/units/:unit/tasks/:task/links", s.linkForm).Name = "关联任务与问题"
	cs.POST("/units/:unit/tasks/:task/strike", s.strikeForm("task", "任务", s.assessments.StrikeTask)).Name = "决定任务销号"
	cs.POST("/units/:unit/tasks/:task/evidence", s.attachForm(assessment.SubjectTask, "task")).Name = "上传任务佐证材料"
	cs.POST("/units/:unit/departments", s.addDepartmentForm).Name = "添加责任部门"

	// Staff API.
	api := e.Group("/api/v1", s.apiCSRF())
	api.POST("/login", s.login)
	api.POST("/logout", s.logout)
	a := api.Group("", s.requireStaff, s.readOnly, s.audited)
	a.GET("/me", s.me)
	a.POST("/second-factor", s.apiSecondFactor).Name = "二次验证"
	a.POST("/second-factor/enrolment", s.apiBeginEnrolment).Name = "开始绑定动态口令"
	a.POST("/second-factor/enrolment/confirm", s.apiConfirmEnrolment).Name = "绑定动态口令"
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
	a.POST("/campaigns/:campaign/reopen", s.reopenCampaign).Name = "重新开放调查"
	a.GET("/campaigns/:campaign/questionnaires", s.listForms)
	a.PUT("/campaigns/:campaign/questionnaires/:kind", s.updateForm).Name = "修改问卷"
	a.GET("/campaigns/:campaign/links", s.listLinks)
	a.POST("/campaigns/:campaign/links", s.createLink).Name = "创建问卷链接"
	a.GET("/campaigns/:campaign/progress", s.progress)
	a.GET("/campaigns/:campaign/report", s.report)
	a.GET("/campaigns/:campaign/review", s.apiReview)
	a.POST("/campaigns/:campaign/review/:response", s.apiDecide).Name = "审核答卷"
	a.GET("/campaigns/:campaign/verify", s.apiVerify).Name = "校验样本日志"
	a.GET("/campaigns/:campaign/statement", s.apiStatement)
	a.POST("/campaigns/:campaign/statements", s.apiDeclareStatement).Name = "生成结果声明"
	a.GET("/regions/:region", s.apiRegion)
	a.POST("/regions/:region/units", s.apiImportUnits).Name = "导入地区评价单位"
	a.GET("/regions/:region/evaluation", s.apiRegionEvaluation)
	a.POST("/regions/:region/campaigns", s.apiCreateRegionSurvey).Name = "为地区各单位创建调查"
	a.POST("/regions/:region/open", s.apiOpenRegion).Name = "地区各单位开始调查"
	a.POST("/regions/:region/close", s.apiCloseRegion).Name = "地区各单位结束调查"
	a.POST("/campaigns/:campaign/verify", s.apiVerifyWith).Name = "对照外部证据校验样本日志"
	a.GET("/profiles", s.apiProfiles)
	a.GET("/units/:unit/evaluation", s.apiEvaluation)
	a.POST("/units/:unit/evaluation/evidence", s.apiFindingEvidence).Name = "上传评定佐证材料"
	a.POST("/units/:unit/evaluation/not-applicable", s.apiNotApplicable).Name = "申报不适用"
	a.POST("/units/:unit/evaluation/not-applicable/evidence", s.apiNotApplicableEvidence).Name = "上传不适用佐证材料"
	a.POST("/units/:unit/evaluation/not-applicable/accept", s.apiAcceptNotApplicable, s.reviewerOnly).Name = "认可不适用"
	a.GET("/units/:unit/rounds", s.apiRounds)
	a.POST("/units/:unit/rounds", s.apiFreezeRound).Name = "冻结自查自评轮次"
	a.GET("/units/:unit/rounds/compare", s.apiComparison)
	a.GET("/units/:unit/rounds/:no", s.apiRound)
	a.GET("/units/:unit/rounds/:no/package.zip", s.roundPackage).Name = "下载申报材料"
	a.GET("/units/:unit/rounds/:no/report.docx", s.reportDocx).Name = "下载自评报告"
	a.PUT("/units/:unit/rounds/:no/narrative", s.apiNarrative).Name = "保存自评报告文字"
	a.POST("/units/:unit/rounds/:no/sign-off", s.roundAction(true, s.signOff), s.headOnly).Name = "签发自查自评"
	a.POST("/units/:unit/rounds/:no/submit", s.roundAction(true, s.submitRound)).Name = "报送市级复核"
	a.POST("/units/:unit/rounds/:no/opinions", s.roundAction(true, s.reviewRound), s.reviewerOnly).Name = "记录复核意见"
	a.POST("/units/:unit/rounds/:no/conclusion", s.roundAction(true, s.concludeRound), s.reviewerOnly).Name = "作出复核结论"
	a.GET("/units/:unit/submissions", s.apiSubmissions)
	a.GET("/units/:unit/ledger", s.apiLedger)
	a.GET("/units/:unit/ledger/schools/:school", s.apiSchoolLedger)
	a.GET("/units/:unit/problems", s.apiProblems)
	a.POST("/units/:unit/problems/:problem/strike", s.apiStrike("problem", s.assessments.StrikeOff)).Name = "决定问题销号"
	a.POST("/units/:unit/problems/:problem/evidence", s.apiAttach(assessment.SubjectProblem, "problem")).Name = "上传问题佐证材料"
	a.GET("/units/:unit/evidence/:evidence", s.evidenceFile).Name = "下载佐证材料"
	a.GET("/units/:unit/tasks", s.apiTasks)
	a.POST("/units/:unit/tasks", s.apiSaveTask).Name = "添加任务"
	a.GET("/units/:unit/tasks.xlsx", s.exportTasks).Name = "导出年度任务清单"
	a.POST("/units/:unit/tasks/import", s.apiImportTasks).Name = "导入年度任务清单"
	a.PUT("/units/:unit/tasks/:task", s.apiSaveTask).Name = "修改任务"
	a.POST("/units/:unit/tasks/:task/progress", s.apiProgress).Name = "更新任务进展"
	a.POST("/units/:unit/tasks/:task/links", s.apiLink).Name = "关联任务与问题"
	a.POST("/units/:unit/tasks/:task/strike", s.apiStrike("task", s.assessments.StrikeTask)).Name = "决定任务销号"
	a.POST("/units/:unit/tasks/:task/evidence", s.apiAttach(assessment.SubjectTask, "task")).Name = "上传任务佐证材料"
	a.GET("/units/:unit/departments", s.apiDepartments)
	a.POST("/units/:unit/departments", s.apiAddDepartment).Name = "添加责任部门"
	a.GET("/regions/:region/ledger", s.apiRegionLedger)
}
