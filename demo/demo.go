// Package demo seeds a demonstration county with an open campaign, so a
// newcomer can answer the survey within a minute of `make run`.
package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"renke/county"
	"renke/evaluation"
	"renke/sampling"
	"renke/staff"
	"renke/statistics"
	"renke/survey"
)

// Login is the demo staff account, the system administrator, created
// only in the local development database; beside it the other two
// administrators (三员分立), with the same password.
const (
	Username = "admin"
	Password = "renke-demo-2026"
	// SecurityUsername is the demo security administrator (安全管理员).
	SecurityUsername = "security"
	// AuditorUsername is the demo audit administrator (审计管理员).
	AuditorUsername = "auditor"
)

// Seeded is what Seed created.
type Seeded struct {
	Unit     county.Unit
	Schools  []county.School
	Campaign survey.Campaign
	Links    []survey.Link
}

// Seed creates the demo county when the database has no unit yet. It
// returns nil when there was something already.
func Seed(ctx context.Context, pool *pgxpool.Pool) (*Seeded, error) {
	return SeedWith(ctx, pool, Options{})
}

// Options are what a deployment or a test sets of the demo county.
type Options struct {
	// LogKey signs the checkpoints of the campaign's log from its opening
	// on: the deployment's key. nil: a key of the seeding's own, which no
	// server holds, fit only where the log is never verified.
	LogKey *survey.LogKey
	// Policy is the campaign's quota policy; "" for the default (cap).
	Policy sampling.Policy
}

// SeedWith is Seed with options.
func SeedWith(ctx context.Context, pool *pgxpool.Pool, o Options) (*Seeded, error) {
	units, surveys := county.NewStore(pool), survey.NewStore(pool)
	if o.LogKey != nil {
		surveys.UseLogKey(o.LogKey)
	}
	existing, err := units.Units(ctx, county.Everything)
	if err != nil || len(existing) > 0 {
		return nil, err
	}
	year := int32(2025)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "demo", Name: "示范县", Kind: "county", Population: 812_345,
		PopulationSource: "2025 年统计公报（示例数据）", PopulationYear: &year,
		Shares: sampling.Shares{Urban: 4123, Town: 3456, Rural: 2421}})
	if err != nil {
		return nil, err
	}
	out := &Seeded{Unit: u}
	for _, sc := range []county.School{
		{Name: "示范县实验小学", Type: county.Primary, Locale: sampling.Urban, EnrolPrimary: 2160},
		{Name: "示范县第二小学", Type: county.Primary, Locale: sampling.Urban, EnrolPrimary: 1580},
		{Name: "城关镇中心小学", Type: county.Primary, Locale: sampling.Town, EnrolPrimary: 960},
		{Name: "示范县第一初级中学", Type: county.Junior, Locale: sampling.Urban, EnrolJunior: 1850},
		{Name: "城关镇中学", Type: county.Junior, Locale: sampling.Town, EnrolJunior: 720},
		{Name: "青山九年一贯制学校", Type: county.NineYear, Locale: sampling.Rural, EnrolPrimary: 420, EnrolJunior: 260},
		{Name: "河口村小学", Type: county.Primary, Locale: sampling.Rural, EnrolPrimary: 138},
		{Name: "石门教学点", Type: county.TeachingPoint, Locale: sampling.Rural, EnrolPrimary: 36},
	} {
		sc.UnitID, sc.Public = u.ID, true
		s, err := units.CreateSchool(ctx, sc)
		if err != nil {
			return nil, err
		}
		out.Schools = append(out.Schools, s)
	}
	settings := survey.Titled("示范县 2026 年义务教育优质均衡发展社会认可度调查")
	if o.Policy != "" {
		settings.Policy = &o.Policy
	}
	c, err := surveys.CreateCampaign(ctx, u.ID, settings)
	if err != nil {
		return nil, err
	}
	social := survey.SocialForm
	links := []survey.Link{{Label: "全县通用链接"}}
	for i := range out.Schools[:2] {
		links = append(links, survey.Link{SchoolID: &out.Schools[i].ID, Kind: &social, Label: out.Schools[i].Name + "家长"})
	}
	for _, l := range links {
		l.CampaignID = c.ID
		l, err := surveys.CreateLink(ctx, l)
		if err != nil {
			return nil, err
		}
		out.Links = append(out.Links, l)
	}
	if out.Campaign, err = surveys.Open(ctx, c.ID, "demo"); err != nil {
		return nil, err
	}
	if err := seedEvaluation(ctx, statistics.NewStore(pool), out); err != nil {
		return nil, fmt.Errorf("demo evaluation: %w", err)
	}
	for name, role := range map[string]staff.Role{Username: staff.Admin, SecurityUsername: staff.Security, AuditorUsername: staff.Auditor} {
		if _, err := staff.NewStore(pool).Create(ctx, name, Password, staff.Grant{Role: role}); err != nil {
			return nil, fmt.Errorf("demo login %s: %w", name, err)
		}
	}
	return out, nil
}

// seedEvaluation imports the demo statistics and enters part of the
// county findings, so the evaluation page shows results and what is left.
func seedEvaluation(ctx context.Context, st *statistics.Store, out *Seeded) error {
	if err := st.Import(ctx, out.Unit.ID, StatsYear, Statistics(out.Schools)); err != nil {
		return err
	}
	yes, no := true, false
	campaign := out.Campaign.ID
	return st.SaveFindings(ctx, out.Unit.ID, statistics.Findings{
		Year: StatsYear, Profile: "national-2017", CampaignID: &campaign,
		Figures: map[string]float64{
			"funding_norm_primary": 720, "funding_norm_junior": 940,
			"teacher_pay": 98_600, "civil_pay": 97_900, "training_completion_pct": 100,
			"rotation_eligible": 412, "rotation_teachers": 45, "rotation_key": 11,
			"zoning_primary_pct": 100, "zoning_junior_pct": 97.2, "hs_quota_pct": 55,
			"migrant_public_pct": 91.5, "retention_junior_pct": 97.8, "disabled_enrol_pct": 96.1,
		},
		Judgements: map[string]evaluation.Judgement{
			"layout_plan":       {Met: &yes, Note: "《示范县中小学布局专项规划（2021—2035）》"},
			"unified_standards": {Met: &yes, Note: "县政府办文件"},
			"performance_pay":   {Met: &yes},
			"staffing_central":  {Met: &yes},
			"hs_quota_rural":    {Met: &no, Note: "名额分配尚未向农村初中倾斜，待县教育局出台方案"},
		},
		Vetoes: map[string]evaluation.Judgement{"exam_admission": {Met: &no}, "school_choice": {Met: &no}},
	})
}

// Find returns the demo county as a previous Seed left it, or nil when
// there is none (the database holds other units, or the demo was removed).
func Find(ctx context.Context, pool *pgxpool.Pool) (*Seeded, error) {
	units, surveys := county.NewStore(pool), survey.NewStore(pool)
	all, err := units.Units(ctx, county.Everything)
	if err != nil {
		return nil, err
	}
	for _, u := range all {
		if u.Code != "demo" {
			continue
		}
		out := &Seeded{Unit: u}
		if out.Schools, err = units.Schools(ctx, u.ID); err != nil {
			return nil, err
		}
		campaigns, err := surveys.Campaigns(ctx, u.ID)
		if err != nil || len(campaigns) == 0 {
			return nil, err
		}
		out.Campaign = campaigns[0]
		if out.Links, err = surveys.Links(ctx, out.Campaign.ID); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, nil
}
