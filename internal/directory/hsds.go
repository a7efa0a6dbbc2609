// Package directory holds the service directory's domain: the Open Referral
// HSDS 3.0 record types, their validation, the justice-aware taxonomy, and the
// in-memory index the read API and search are served from. It does no I/O.
//
// Every record type mirrors one HSDS 3.0 object. Scalar fields map one-to-one
// to the HSDS tabular columns (and to our database columns); slice and pointer
// fields of record types hold nested children and are filled only when a
// record is assembled for output. A Dataset holds the flat form.
package directory

// Organization is an HSDS organization: a body that delivers services.
type Organization struct {
	ID                      string                   `json:"id"`
	Name                    string                   `json:"name"`
	AlternateName           string                   `json:"alternate_name,omitempty"`
	Description             string                   `json:"description"`
	Email                   string                   `json:"email,omitempty"`
	Website                 string                   `json:"website,omitempty"`
	TaxStatus               string                   `json:"tax_status,omitempty"`
	TaxID                   string                   `json:"tax_id,omitempty"`
	YearIncorporated        *float64                 `json:"year_incorporated,omitempty"`
	LegalStatus             string                   `json:"legal_status,omitempty"`
	Logo                    string                   `json:"logo,omitempty"`
	URI                     string                   `json:"uri,omitempty"`
	ParentOrganizationID    string                   `json:"parent_organization_id,omitempty"`
	Funding                 []Funding                `json:"funding,omitempty"`
	Contacts                []Contact                `json:"contacts,omitempty"`
	Phones                  []Phone                  `json:"phones,omitempty"`
	Locations               []Location               `json:"locations,omitempty"`
	Programs                []Program                `json:"programs,omitempty"`
	OrganizationIdentifiers []OrganizationIdentifier `json:"organization_identifiers,omitempty"`
	Attributes              []Attribute              `json:"attributes,omitempty"`
	Metadata                []Metadata               `json:"metadata,omitempty"`
}

// OrganizationIdentifier is a third-party identifier of an organisation, such
// as a Charity Commission or Companies House number.
type OrganizationIdentifier struct {
	ID               string      `json:"id"`
	OrganizationID   string      `json:"organization_id,omitempty"`
	IdentifierScheme string      `json:"identifier_scheme,omitempty"`
	IdentifierType   string      `json:"identifier_type"`
	Identifier       string      `json:"identifier"`
	Attributes       []Attribute `json:"attributes,omitempty"`
	Metadata         []Metadata  `json:"metadata,omitempty"`
}

// Program groups related services of one organisation.
type Program struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id,omitempty"`
	Name           string      `json:"name"`
	AlternateName  string      `json:"alternate_name,omitempty"`
	Description    string      `json:"description"`
	Attributes     []Attribute `json:"attributes,omitempty"`
	Metadata       []Metadata  `json:"metadata,omitempty"`
}

// Service is an HSDS service: what an organisation offers.
type Service struct {
	ID                     string              `json:"id"`
	OrganizationID         string              `json:"organization_id,omitempty"`
	ProgramID              string              `json:"program_id,omitempty"`
	Name                   string              `json:"name"`
	AlternateName          string              `json:"alternate_name,omitempty"`
	Description            string              `json:"description,omitempty"`
	URL                    string              `json:"url,omitempty"`
	Email                  string              `json:"email,omitempty"`
	Status                 string              `json:"status"`
	InterpretationServices string              `json:"interpretation_services,omitempty"`
	ApplicationProcess     string              `json:"application_process,omitempty"`
	FeesDescription        string              `json:"fees_description,omitempty"`
	WaitTime               string              `json:"wait_time,omitempty"`
	Fees                   string              `json:"fees,omitempty"`
	Accreditations         string              `json:"accreditations,omitempty"`
	EligibilityDescription string              `json:"eligibility_description,omitempty"`
	MinimumAge             *float64            `json:"minimum_age,omitempty"`
	MaximumAge             *float64            `json:"maximum_age,omitempty"`
	AssuredDate            string              `json:"assured_date,omitempty"`
	AssurerEmail           string              `json:"assurer_email,omitempty"`
	Licenses               string              `json:"licenses,omitempty"`
	Alert                  string              `json:"alert,omitempty"`
	LastModified           string              `json:"last_modified,omitempty"`
	Phones                 []Phone             `json:"phones,omitempty"`
	Schedules              []Schedule          `json:"schedules,omitempty"`
	ServiceAreas           []ServiceArea       `json:"service_areas,omitempty"`
	ServiceAtLocations     []ServiceAtLocation `json:"service_at_locations,omitempty"`
	Languages              []Language          `json:"languages,omitempty"`
	Organization           *Organization       `json:"organization,omitempty"`
	Funding                []Funding           `json:"funding,omitempty"`
	CostOptions            []CostOption        `json:"cost_options,omitempty"`
	Program                *Program            `json:"program,omitempty"`
	RequiredDocuments      []RequiredDocument  `json:"required_documents,omitempty"`
	Contacts               []Contact           `json:"contacts,omitempty"`
	Attributes             []Attribute         `json:"attributes,omitempty"`
	Metadata               []Metadata          `json:"metadata,omitempty"`
}

// Location is a place where services are delivered, physical, postal or virtual.
type Location struct {
	ID                     string          `json:"id"`
	LocationType           string          `json:"location_type"`
	URL                    string          `json:"url,omitempty"`
	OrganizationID         string          `json:"organization_id,omitempty"`
	Name                   string          `json:"name,omitempty"`
	AlternateName          string          `json:"alternate_name,omitempty"`
	Description            string          `json:"description,omitempty"`
	Transportation         string          `json:"transportation,omitempty"`
	Latitude               *float64        `json:"latitude,omitempty"`
	Longitude              *float64        `json:"longitude,omitempty"`
	ExternalIdentifier     string          `json:"external_identifier,omitempty"`
	ExternalIdentifierType string          `json:"external_identifier_type,omitempty"`
	Languages              []Language      `json:"languages,omitempty"`
	Addresses              []Address       `json:"addresses,omitempty"`
	Contacts               []Contact       `json:"contacts,omitempty"`
	Accessibility          []Accessibility `json:"accessibility,omitempty"`
	Phones                 []Phone         `json:"phones,omitempty"`
	Schedules              []Schedule      `json:"schedules,omitempty"`
	Attributes             []Attribute     `json:"attributes,omitempty"`
	Metadata               []Metadata      `json:"metadata,omitempty"`
}

// ServiceAtLocation links a service to a location where it is delivered.
type ServiceAtLocation struct {
	ID          string      `json:"id"`
	ServiceID   string      `json:"service_id,omitempty"`
	LocationID  string      `json:"location_id,omitempty"`
	Description string      `json:"description,omitempty"`
	Contacts    []Contact   `json:"contacts,omitempty"`
	Phones      []Phone     `json:"phones,omitempty"`
	Schedules   []Schedule  `json:"schedules,omitempty"`
	Location    *Location   `json:"location,omitempty"`
	Service     *Service    `json:"service,omitempty"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Metadata    []Metadata  `json:"metadata,omitempty"`
}

// Address is a postal or physical address of a location.
type Address struct {
	ID            string      `json:"id"`
	LocationID    string      `json:"location_id,omitempty"`
	Attention     string      `json:"attention,omitempty"`
	Address1      string      `json:"address_1"`
	Address2      string      `json:"address_2,omitempty"`
	City          string      `json:"city"`
	Region        string      `json:"region,omitempty"`
	StateProvince string      `json:"state_province"`
	PostalCode    string      `json:"postal_code"`
	Country       string      `json:"country"`
	AddressType   string      `json:"address_type"`
	Attributes    []Attribute `json:"attributes,omitempty"`
	Metadata      []Metadata  `json:"metadata,omitempty"`
}

// Phone is a telephone number of a service, location, organisation or contact.
type Phone struct {
	ID                  string      `json:"id"`
	LocationID          string      `json:"location_id,omitempty"`
	ServiceID           string      `json:"service_id,omitempty"`
	OrganizationID      string      `json:"organization_id,omitempty"`
	ContactID           string      `json:"contact_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	Number              string      `json:"number"`
	Extension           *float64    `json:"extension,omitempty"`
	Type                string      `json:"type,omitempty"`
	Description         string      `json:"description,omitempty"`
	Languages           []Language  `json:"languages,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// Contact is a named person or role to contact about a service.
type Contact struct {
	ID                  string      `json:"id"`
	OrganizationID      string      `json:"organization_id,omitempty"`
	ServiceID           string      `json:"service_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	LocationID          string      `json:"location_id,omitempty"`
	Name                string      `json:"name,omitempty"`
	Title               string      `json:"title,omitempty"`
	Department          string      `json:"department,omitempty"`
	Email               string      `json:"email,omitempty"`
	Phones              []Phone     `json:"phones,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// Schedule is an opening pattern in the iCalendar RRULE style HSDS uses.
type Schedule struct {
	ID                  string      `json:"id"`
	ServiceID           string      `json:"service_id,omitempty"`
	LocationID          string      `json:"location_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	ValidFrom           string      `json:"valid_from,omitempty"`
	ValidTo             string      `json:"valid_to,omitempty"`
	DTStart             string      `json:"dtstart,omitempty"`
	Timezone            *float64    `json:"timezone,omitempty"`
	Until               string      `json:"until,omitempty"`
	Count               *float64    `json:"count,omitempty"`
	WKST                string      `json:"wkst,omitempty"`
	Freq                string      `json:"freq,omitempty"`
	Interval            *float64    `json:"interval,omitempty"`
	ByDay               string      `json:"byday,omitempty"`
	ByWeekNo            string      `json:"byweekno,omitempty"`
	ByMonthDay          string      `json:"bymonthday,omitempty"`
	ByYearDay           string      `json:"byyearday,omitempty"`
	Description         string      `json:"description,omitempty"`
	OpensAt             string      `json:"opens_at,omitempty"`
	ClosesAt            string      `json:"closes_at,omitempty"`
	ScheduleLink        string      `json:"schedule_link,omitempty"`
	AttendingType       string      `json:"attending_type,omitempty"`
	Notes               string      `json:"notes,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// ServiceArea is a geographic area a service covers. Extent holds the shape
// (GeoJSON when ExtentType is "geojson"); URI names an official area code.
type ServiceArea struct {
	ID          string      `json:"id"`
	ServiceID   string      `json:"service_id,omitempty"`
	Name        string      `json:"name,omitempty"`
	Description string      `json:"description,omitempty"`
	Extent      string      `json:"extent,omitempty"`
	ExtentType  string      `json:"extent_type,omitempty"`
	URI         string      `json:"uri,omitempty"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Metadata    []Metadata  `json:"metadata,omitempty"`
}

// Language is a language a service, location or phone line works in.
type Language struct {
	ID         string      `json:"id"`
	ServiceID  string      `json:"service_id,omitempty"`
	LocationID string      `json:"location_id,omitempty"`
	PhoneID    string      `json:"phone_id,omitempty"`
	Name       string      `json:"name,omitempty"`
	Code       string      `json:"code,omitempty"`
	Note       string      `json:"note,omitempty"`
	Attributes []Attribute `json:"attributes,omitempty"`
	Metadata   []Metadata  `json:"metadata,omitempty"`
}

// Accessibility describes the accessibility of a location.
type Accessibility struct {
	ID          string      `json:"id"`
	LocationID  string      `json:"location_id,omitempty"`
	Description string      `json:"description,omitempty"`
	Details     string      `json:"details,omitempty"`
	URL         string      `json:"url,omitempty"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Metadata    []Metadata  `json:"metadata,omitempty"`
}

// CostOption is a price of a service.
type CostOption struct {
	ID                string      `json:"id"`
	ServiceID         string      `json:"service_id,omitempty"`
	ValidFrom         string      `json:"valid_from,omitempty"`
	ValidTo           string      `json:"valid_to,omitempty"`
	Option            string      `json:"option,omitempty"`
	Currency          string      `json:"currency,omitempty"`
	Amount            *float64    `json:"amount,omitempty"`
	AmountDescription string      `json:"amount_description,omitempty"`
	Attributes        []Attribute `json:"attributes,omitempty"`
	Metadata          []Metadata  `json:"metadata,omitempty"`
}

// Funding is a source of funds of an organisation or service.
type Funding struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id,omitempty"`
	ServiceID      string      `json:"service_id,omitempty"`
	Source         string      `json:"source,omitempty"`
	Attributes     []Attribute `json:"attributes,omitempty"`
	Metadata       []Metadata  `json:"metadata,omitempty"`
}

// RequiredDocument is a document a person needs to use a service.
type RequiredDocument struct {
	ID         string      `json:"id"`
	ServiceID  string      `json:"service_id,omitempty"`
	Document   string      `json:"document,omitempty"`
	URI        string      `json:"uri,omitempty"`
	Attributes []Attribute `json:"attributes,omitempty"`
	Metadata   []Metadata  `json:"metadata,omitempty"`
}

// Taxonomy is a published vocabulary of terms.
type Taxonomy struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	URI         string     `json:"uri,omitempty"`
	Version     string     `json:"version,omitempty"`
	Metadata    []Metadata `json:"metadata,omitempty"`
}

// TaxonomyTerm is one term of a taxonomy.
type TaxonomyTerm struct {
	ID             string     `json:"id"`
	Code           string     `json:"code,omitempty"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	ParentID       string     `json:"parent_id,omitempty"`
	Taxonomy       string     `json:"taxonomy,omitempty"`
	TaxonomyDetail *Taxonomy  `json:"taxonomy_detail,omitempty"`
	Language       string     `json:"language,omitempty"`
	TaxonomyID     string     `json:"taxonomy_id,omitempty"`
	TermURI        string     `json:"term_uri,omitempty"`
	Metadata       []Metadata `json:"metadata,omitempty"`
}

// Attribute tags any record (LinkID, of LinkType) with a taxonomy term.
type Attribute struct {
	ID             string        `json:"id"`
	LinkID         string        `json:"link_id,omitempty"`
	TaxonomyTermID string        `json:"taxonomy_term_id,omitempty"`
	LinkType       string        `json:"link_type,omitempty"`
	LinkEntity     string        `json:"link_entity,omitempty"`
	Value          string        `json:"value,omitempty"`
	TaxonomyTerm   *TaxonomyTerm `json:"taxonomy_term,omitempty"`
	Metadata       []Metadata    `json:"metadata,omitempty"`
}

// Metadata is one provenance row: who changed which field of which record, when.
type Metadata struct {
	ID               string `json:"id"`
	ResourceID       string `json:"resource_id,omitempty"`
	ResourceType     string `json:"resource_type,omitempty"`
	LastActionDate   string `json:"last_action_date"`
	LastActionType   string `json:"last_action_type"`
	FieldName        string `json:"field_name"`
	PreviousValue    string `json:"previous_value"`
	ReplacementValue string `json:"replacement_value"`
	UpdatedBy        string `json:"updated_by"`
}

// MetaTableDescription describes a table of a tabular publication.
type MetaTableDescription struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	Language     string `json:"language,omitempty"`
	CharacterSet string `json:"character_set,omitempty"`
}
