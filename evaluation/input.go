package evaluation

import (
	"renke/county"
	"renke/sampling"
	"slices"
)

// School is one school's statistics for a school year (教育事业统计 and
// 教育经费统计). Teachers are counted in the stage they teach; floor areas,
// equipment and classrooms belong to the whole school.
type School struct {
	ID       int64             `json:"id"`
	Name     string            `json:"name"`
	Type     county.SchoolType `json:"type"`
	Locale   sampling.Locale   `json:"locale"`
	Public   bool              `json:"public"`
	Boarding bool              `json:"boarding"`

	EnrolPrimary int `json:"enrol_primary"`
	EnrolJunior  int `json:"enrol_junior"`
	EnrolSenior  int `json:"enrol_senior"` // senior high of a complete middle or twelve-year school

	ClassesPrimary      int `json:"classes_primary"`
	ClassesJunior       int `json:"classes_junior"`
	LargestClassPrimary int `json:"largest_class_primary"`
	LargestClassJunior  int `json:"largest_class_junior"`
	// Classes by size band, both stages together (大班额 56–65, 超大班额
	// 66 and more); blank where the statistics do not give them.
	ClassesTo45   int `json:"classes_to_45"`
	Classes46To55 int `json:"classes_46_55"`
	Classes56To65 int `json:"classes_56_65"`
	Classes66Up   int `json:"classes_66_up"`

	TeachersPrimary  int `json:"teachers_primary"`  // 专任教师
	QualifiedPrimary int `json:"qualified_primary"` // 专科及以上
	KeyPrimary       int `json:"key_primary"`       // 县级以上骨干教师
	PEArtsPrimary    int `json:"pe_arts_primary"`   // 体育、艺术专任教师
	TeachersJunior   int `json:"teachers_junior"`
	QualifiedJunior  int `json:"qualified_junior"` // 本科及以上
	KeyJunior        int `json:"key_junior"`
	PEArtsJunior     int `json:"pe_arts_junior"`
	Certified        int `json:"certified"` // 持有教师资格证的专任教师

	TeachingArea    float64 `json:"teaching_area"`   // 教学及辅助用房, m²
	SportsArea      float64 `json:"sports_area"`     // 体育运动场馆, m²
	EquipmentValue  float64 `json:"equipment_value"` // 教学仪器设备值, yuan
	MultimediaRooms int     `json:"multimedia_rooms"`

	MusicRooms       int     `json:"music_rooms"`
	MusicRoomMinArea float64 `json:"music_room_min_area"` // the smallest music room, m²
	ArtRooms         int     `json:"art_rooms"`
	ArtRoomMinArea   float64 `json:"art_room_min_area"`

	OperatingFunds float64 `json:"operating_funds"` // 年度公用经费, yuan
	TrainingFunds  float64 `json:"training_funds"`  // 教师培训经费, yuan

	// Blank names the figures (fields of School) the bureau left blank: not
	// entered, so 待填报 where a check needs them, never read as 0.
	Blank []string `json:"blank,omitempty"`
}

// blank reports whether the figure in field was left blank.
func (s *School) blank(field string) bool { return slices.Contains(s.Blank, field) }

// resourceField is the field a resource indicator of level l reads.
func resourceField(r Resource, l Level) string {
	p := l == Primary
	switch r {
	case QualifiedTeachers:
		return map[bool]string{true: "QualifiedPrimary", false: "QualifiedJunior"}[p]
	case KeyTeachers:
		return map[bool]string{true: "KeyPrimary", false: "KeyJunior"}[p]
	case PEArtsTeachers:
		return map[bool]string{true: "PEArtsPrimary", false: "PEArtsJunior"}[p]
	case TeachingArea:
		return "TeachingArea"
	case SportsArea:
		return "SportsArea"
	case EquipmentValue:
		return "EquipmentValue"
	default:
		return "MultimediaRooms"
	}
}

// Enrol is the school's enrolment at level l.
func (s *School) Enrol(l Level) int {
	if l == Primary {
		return s.EnrolPrimary
	}
	return s.EnrolJunior
}

// Compulsory is the enrolment of the compulsory stages.
func (s *School) Compulsory() int { return s.EnrolPrimary + s.EnrolJunior }

// Teachers is the full-time teachers of both compulsory stages.
func (s *School) Teachers() int { return s.TeachersPrimary + s.TeachersJunior }

// teachers is the count behind a teacher indicator at level l.
func (s *School) teachers(r Resource, l Level) float64 {
	p := l == Primary
	switch {
	case r == QualifiedTeachers && p:
		return float64(s.QualifiedPrimary)
	case r == QualifiedTeachers:
		return float64(s.QualifiedJunior)
	case r == KeyTeachers && p:
		return float64(s.KeyPrimary)
	case r == KeyTeachers:
		return float64(s.KeyJunior)
	case r == PEArtsTeachers && p:
		return float64(s.PEArtsPrimary)
	default:
		return float64(s.PEArtsJunior)
	}
}

// physical is the whole school's amount of a physical resource.
func (s *School) physical(r Resource) float64 {
	switch r {
	case TeachingArea:
		return s.TeachingArea
	case SportsArea:
		return s.SportsArea
	case EquipmentValue:
		return s.EquipmentValue
	default:
		return float64(s.MultimediaRooms)
	}
}

// Judgement is a finding the bureau enters: met or not, with its evidence.
type Judgement struct {
	Met  *bool  `json:"met"` // nil: not yet judged
	Note string `json:"note"`
}

// AreaRate is the survey's recognition in one content area.
type AreaRate struct {
	Rate    float64 `json:"rate"`
	Answers int64   `json:"answers"`
}

// Recognition is the result of the survey campaign linked to the evaluation.
type Recognition struct {
	Campaign string  `json:"campaign"`
	Method   string  `json:"method"`
	Rate     float64 `json:"rate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	Answers  int64   `json:"answers"`
	// Respondents is the people behind the rate: the n of its interval.
	Respondents int64 `json:"respondents"`
	// Complete: the counted sample reached its design and the parents'
	// floor. Until then every survey line is 待填报, never 达标, and
	// Shortfall says by how much.
	Complete  bool                `json:"complete"`
	Shortfall string              `json:"shortfall,omitempty"`
	ByArea    map[string]AreaRate `json:"by_area"`
	// The sample behind it, for RuleSurveyDesign.
	RatePPM    int `json:"rate_ppm"`
	SampleSize int `json:"sample_size"`
	Admitted   int `json:"admitted"`
	Parents    int `json:"parents"` // admitted parents
	// Withheld says why the result is not shown (a blind survey, read by
	// the assessed unit): then only the sample's progress is here, and
	// every survey line waits.
	Withheld string `json:"withheld,omitempty"`
}

// Inputs is everything an evaluation reads.
type Inputs struct {
	Schools     []School             `json:"schools"`
	Figures     map[string]float64   `json:"figures"`    // county-level figures by input key
	Judgements  map[string]Judgement `json:"judgements"` // by judgement key
	Scores      map[string]float64   `json:"scores"`     // soft item points by item number
	Vetoes      map[string]Judgement `json:"vetoes"`     // Met=true means the veto item applies
	Recognition *Recognition         `json:"recognition"`
	// NotApplicable are the checks the county declares 不适用 (by CheckKey):
	// a per-school check with nothing in its scope by the county's
	// circumstances (no special school of its own, its pupils placed in
	// the city's) is met only once a reviewer accepts the declaration.
	NotApplicable map[string]NotApplicable `json:"not_applicable,omitempty"`
	// Series are the figures entered year by year (Profile.Series), by key
	// and calendar year; Year is the school year evaluated, which the
	// series end with.
	Series map[string]map[int]float64 `json:"series,omitempty"`
	Year   int                        `json:"year,omitempty"`
}

// NotApplicable is a county's declaration that a check does not apply,
// with its reason, and the reviewer's acceptance of it.
type NotApplicable struct {
	ID         int64  `json:"id"`
	Reason     string `json:"reason"`
	DeclaredBy string `json:"declared_by"`
	AcceptedBy string `json:"accepted_by,omitempty"` // "": not accepted yet
	Evidence   int    `json:"evidence"`              // files attached
}
