package demo

// town is a real English town or London borough, used to place fictional
// records in plausible places: its centre, its postcode districts, the ONS
// code and name of the local authority district it lies in, and the first
// digits of the Ofcom range reserved for drama in its dialling area (every
// number built from it is one that will never be allocated to anyone).
type town struct {
	name      string   // what the town is called in service names
	city      string   // post town, for addresses
	county    string   // county, for addresses
	lat, lon  float64  // town centre
	postcodes []string // postcode districts in the town
	lad       string   // ONS local authority district code
	ladName   string   // ONS local authority district name
	phone     string   // drama-number prefix; three digits complete a number
}

// Ofcom drama-number prefixes. Numbers 0000-0999 after the area code and
// 496 (498 on Tyneside, 7946 in London) are kept for fiction; 01632 960xxx
// is the range for "no particular area".
const (
	phoneNone       = "01632 960"
	phoneLeeds      = "0113 496 0"
	phoneSheffield  = "0114 496 0"
	phoneNottingham = "0115 496 0"
	phoneLeicester  = "0116 496 0"
	phoneBristol    = "0117 496 0"
	phoneReading    = "0118 496 0"
	phoneBirmingham = "0121 496 0"
	phoneLiverpool  = "0151 496 0"
	phoneManchester = "0161 496 0"
	phoneTyneside   = "0191 498 0"
	phoneLondon     = "020 7946 0"
)

// towns lists the places records are put in. Order matters only for
// determinism; demo areas refer to towns by name.
var towns = []town{
	{"Lincoln", "Lincoln", "Lincolnshire", 53.2307, -0.5406, []string{"LN1", "LN2", "LN5", "LN6"}, "E07000138", "Lincoln", phoneNone},
	{"Sleaford", "Sleaford", "Lincolnshire", 52.9993, -0.4090, []string{"NG34"}, "E07000139", "North Kesteven", phoneNone},
	{"Boston", "Boston", "Lincolnshire", 52.9789, -0.0266, []string{"PE21"}, "E07000136", "Boston", phoneNone},
	{"Grantham", "Grantham", "Lincolnshire", 52.9119, -0.6426, []string{"NG31"}, "E07000141", "South Kesteven", phoneNone},
	{"Gainsborough", "Gainsborough", "Lincolnshire", 53.3990, -0.7760, []string{"DN21"}, "E07000142", "West Lindsey", phoneNone},
	{"Skegness", "Skegness", "Lincolnshire", 53.1436, 0.3363, []string{"PE25"}, "E07000137", "East Lindsey", phoneNone},
	{"Spalding", "Spalding", "Lincolnshire", 52.7868, -0.1530, []string{"PE11"}, "E07000140", "South Holland", phoneNone},
	{"Scunthorpe", "Scunthorpe", "North Lincolnshire", 53.5889, -0.6544, []string{"DN15", "DN16"}, "E06000013", "North Lincolnshire", phoneNone},
	{"Grimsby", "Grimsby", "North East Lincolnshire", 53.5675, -0.0800, []string{"DN31", "DN32"}, "E06000012", "North East Lincolnshire", phoneNone},
	{"Manchester", "Manchester", "Greater Manchester", 53.4808, -2.2426, []string{"M1", "M4", "M13"}, "E08000003", "Manchester", phoneManchester},
	{"Salford", "Salford", "Greater Manchester", 53.4875, -2.2901, []string{"M5", "M6"}, "E08000006", "Salford", phoneManchester},
	{"Bolton", "Bolton", "Greater Manchester", 53.5769, -2.4282, []string{"BL1", "BL3"}, "E08000001", "Bolton", phoneNone},
	{"Oldham", "Oldham", "Greater Manchester", 53.5409, -2.1114, []string{"OL1", "OL8"}, "E08000004", "Oldham", phoneManchester},
	{"Stockport", "Stockport", "Greater Manchester", 53.4106, -2.1575, []string{"SK1", "SK3"}, "E08000007", "Stockport", phoneManchester},
	{"Wigan", "Wigan", "Greater Manchester", 53.5450, -2.6325, []string{"WN1"}, "E08000010", "Wigan", phoneNone},
	{"Rochdale", "Rochdale", "Greater Manchester", 53.6161, -2.1556, []string{"OL11", "OL16"}, "E08000005", "Rochdale", phoneNone},
	{"Ashton-under-Lyne", "Ashton-under-Lyne", "Greater Manchester", 53.4880, -2.0980, []string{"OL6", "OL7"}, "E08000008", "Tameside", phoneManchester},
	{"Leeds", "Leeds", "West Yorkshire", 53.7997, -1.5492, []string{"LS1", "LS2", "LS9", "LS11"}, "E08000035", "Leeds", phoneLeeds},
	{"Bradford", "Bradford", "West Yorkshire", 53.7950, -1.7594, []string{"BD1", "BD3", "BD5"}, "E08000032", "Bradford", phoneNone},
	{"Wakefield", "Wakefield", "West Yorkshire", 53.6833, -1.4977, []string{"WF1"}, "E08000036", "Wakefield", phoneNone},
	{"Huddersfield", "Huddersfield", "West Yorkshire", 53.6458, -1.7850, []string{"HD1"}, "E08000034", "Kirklees", phoneNone},
	{"Halifax", "Halifax", "West Yorkshire", 53.7248, -1.8658, []string{"HX1"}, "E08000033", "Calderdale", phoneNone},
	{"Sheffield", "Sheffield", "South Yorkshire", 53.3811, -1.4701, []string{"S1", "S2", "S3"}, "E08000019", "Sheffield", phoneSheffield},
	{"Doncaster", "Doncaster", "South Yorkshire", 53.5228, -1.1285, []string{"DN1"}, "E08000017", "Doncaster", phoneNone},
	{"Hull", "Hull", "East Riding of Yorkshire", 53.7457, -0.3367, []string{"HU1", "HU2"}, "E06000010", "Kingston upon Hull, City of", phoneNone},
	{"York", "York", "North Yorkshire", 53.9590, -1.0815, []string{"YO1"}, "E06000014", "York", phoneNone},
	{"Middlesbrough", "Middlesbrough", "North Yorkshire", 54.5742, -1.2350, []string{"TS1"}, "E06000002", "Middlesbrough", phoneNone},
	{"Newcastle", "Newcastle upon Tyne", "Tyne and Wear", 54.9783, -1.6178, []string{"NE1", "NE4", "NE6"}, "E08000021", "Newcastle upon Tyne", phoneTyneside},
	{"Gateshead", "Gateshead", "Tyne and Wear", 54.9527, -1.6034, []string{"NE8"}, "E08000037", "Gateshead", phoneTyneside},
	{"Sunderland", "Sunderland", "Tyne and Wear", 54.9069, -1.3838, []string{"SR1", "SR2"}, "E08000024", "Sunderland", phoneTyneside},
	{"North Shields", "North Shields", "Tyne and Wear", 55.0097, -1.4486, []string{"NE29", "NE30"}, "E08000022", "North Tyneside", phoneTyneside},
	{"South Shields", "South Shields", "Tyne and Wear", 54.9986, -1.4325, []string{"NE33", "NE34"}, "E08000023", "South Tyneside", phoneTyneside},
	{"Durham", "Durham", "County Durham", 54.7761, -1.5733, []string{"DH1"}, "E06000047", "County Durham", phoneTyneside},
	{"Carlisle", "Carlisle", "Cumbria", 54.8925, -2.9329, []string{"CA1", "CA2"}, "E06000063", "Cumberland", phoneNone},
	{"Liverpool", "Liverpool", "Merseyside", 53.4084, -2.9916, []string{"L1", "L3", "L8"}, "E08000012", "Liverpool", phoneLiverpool},
	{"Preston", "Preston", "Lancashire", 53.7632, -2.7031, []string{"PR1"}, "E07000123", "Preston", phoneNone},
	{"Blackpool", "Blackpool", "Lancashire", 53.8175, -3.0357, []string{"FY1"}, "E06000009", "Blackpool", phoneNone},
	{"Birmingham", "Birmingham", "West Midlands", 52.4797, -1.9027, []string{"B1", "B4", "B5", "B12"}, "E08000025", "Birmingham", phoneBirmingham},
	{"West Bromwich", "West Bromwich", "West Midlands", 52.5187, -1.9945, []string{"B70", "B71"}, "E08000028", "Sandwell", phoneBirmingham},
	{"Wolverhampton", "Wolverhampton", "West Midlands", 52.5862, -2.1288, []string{"WV1", "WV2"}, "E08000031", "Wolverhampton", phoneNone},
	{"Walsall", "Walsall", "West Midlands", 52.5862, -1.9829, []string{"WS1", "WS2"}, "E08000030", "Walsall", phoneNone},
	{"Coventry", "Coventry", "West Midlands", 52.4068, -1.5197, []string{"CV1"}, "E08000026", "Coventry", phoneNone},
	{"Solihull", "Solihull", "West Midlands", 52.4118, -1.7776, []string{"B91"}, "E08000029", "Solihull", phoneBirmingham},
	{"Stoke-on-Trent", "Stoke-on-Trent", "Staffordshire", 53.0246, -2.1757, []string{"ST1"}, "E06000021", "Stoke-on-Trent", phoneNone},
	{"Nottingham", "Nottingham", "Nottinghamshire", 52.9548, -1.1581, []string{"NG1", "NG3", "NG7"}, "E06000018", "Nottingham", phoneNottingham},
	{"Mansfield", "Mansfield", "Nottinghamshire", 53.1472, -1.1987, []string{"NG18", "NG19"}, "E07000174", "Mansfield", phoneNone},
	{"Arnold", "Nottingham", "Nottinghamshire", 53.0050, -1.1270, []string{"NG5"}, "E07000173", "Gedling", phoneNottingham},
	{"Beeston", "Nottingham", "Nottinghamshire", 52.9260, -1.2150, []string{"NG9"}, "E07000172", "Broxtowe", phoneNottingham},
	{"Sutton-in-Ashfield", "Sutton-in-Ashfield", "Nottinghamshire", 53.1250, -1.2610, []string{"NG17"}, "E07000170", "Ashfield", phoneNone},
	{"Derby", "Derby", "Derbyshire", 52.9225, -1.4746, []string{"DE1"}, "E06000015", "Derby", phoneNone},
	{"Leicester", "Leicester", "Leicestershire", 52.6369, -1.1398, []string{"LE1", "LE2"}, "E06000016", "Leicester", phoneLeicester},
	{"Northampton", "Northampton", "Northamptonshire", 52.2405, -0.9027, []string{"NN1"}, "E06000062", "West Northamptonshire", phoneNone},
	{"Milton Keynes", "Milton Keynes", "Buckinghamshire", 52.0406, -0.7594, []string{"MK9"}, "E06000042", "Milton Keynes", phoneNone},
	{"Peterborough", "Peterborough", "Cambridgeshire", 52.5695, -0.2405, []string{"PE1"}, "E06000031", "Peterborough", phoneNone},
	{"Norwich", "Norwich", "Norfolk", 52.6309, 1.2974, []string{"NR1", "NR2"}, "E07000148", "Norwich", phoneNone},
	{"Ipswich", "Ipswich", "Suffolk", 52.0567, 1.1482, []string{"IP1", "IP4"}, "E07000202", "Ipswich", phoneNone},
	{"Cambridge", "Cambridge", "Cambridgeshire", 52.2053, 0.1218, []string{"CB1", "CB2"}, "E07000008", "Cambridge", phoneNone},
	{"Oxford", "Oxford", "Oxfordshire", 51.7520, -1.2577, []string{"OX1", "OX4"}, "E07000178", "Oxford", phoneNone},
	{"Reading", "Reading", "Berkshire", 51.4543, -0.9781, []string{"RG1"}, "E06000038", "Reading", phoneReading},
	{"Luton", "Luton", "Bedfordshire", 51.8787, -0.4200, []string{"LU1"}, "E06000032", "Luton", phoneNone},
	{"Bristol", "Bristol", "Bristol", 51.4545, -2.5879, []string{"BS1", "BS2", "BS5"}, "E06000023", "Bristol, City of", phoneBristol},
	{"Kingswood", "Bristol", "Gloucestershire", 51.4570, -2.5050, []string{"BS15"}, "E06000025", "South Gloucestershire", phoneBristol},
	{"Weston-super-Mare", "Weston-super-Mare", "Somerset", 51.3460, -2.9770, []string{"BS23"}, "E06000024", "North Somerset", phoneNone},
	{"Gloucester", "Gloucester", "Gloucestershire", 51.8642, -2.2382, []string{"GL1"}, "E07000081", "Gloucester", phoneNone},
	{"Plymouth", "Plymouth", "Devon", 50.3755, -4.1427, []string{"PL1", "PL4"}, "E06000026", "Plymouth", phoneNone},
	{"Exeter", "Exeter", "Devon", 50.7184, -3.5339, []string{"EX1", "EX4"}, "E07000041", "Exeter", phoneNone},
	{"Bournemouth", "Bournemouth", "Dorset", 50.7192, -1.8808, []string{"BH1"}, "E06000058", "Bournemouth, Christchurch and Poole", phoneNone},
	{"Southampton", "Southampton", "Hampshire", 50.9097, -1.4044, []string{"SO14", "SO15"}, "E06000045", "Southampton", phoneNone},
	{"Portsmouth", "Portsmouth", "Hampshire", 50.8198, -1.0880, []string{"PO1"}, "E06000044", "Portsmouth", phoneNone},
	{"Brighton", "Brighton", "East Sussex", 50.8225, -0.1372, []string{"BN1", "BN2"}, "E06000043", "Brighton and Hove", phoneNone},
	{"Canterbury", "Canterbury", "Kent", 51.2802, 1.0789, []string{"CT1"}, "E07000106", "Canterbury", phoneNone},
	{"Chelmsford", "Chelmsford", "Essex", 51.7356, 0.4685, []string{"CM1", "CM2"}, "E07000070", "Chelmsford", phoneNone},
	{"Swindon", "Swindon", "Wiltshire", 51.5558, -1.7797, []string{"SN1"}, "E06000030", "Swindon", phoneNone},
	{"Lambeth", "London", "Greater London", 51.4613, -0.1156, []string{"SW9", "SW2"}, "E09000022", "Lambeth", phoneLondon},
	{"Southwark", "London", "Greater London", 51.4740, -0.0690, []string{"SE15", "SE5"}, "E09000028", "Southwark", phoneLondon},
	{"Croydon", "Croydon", "Greater London", 51.3762, -0.0982, []string{"CR0"}, "E09000008", "Croydon", phoneLondon},
	{"Hackney", "London", "Greater London", 51.5450, -0.0553, []string{"E8", "E5"}, "E09000012", "Hackney", phoneLondon},
	{"Tower Hamlets", "London", "Greater London", 51.5190, -0.0600, []string{"E1", "E3"}, "E09000030", "Tower Hamlets", phoneLondon},
	{"Newham", "London", "Greater London", 51.5416, -0.0030, []string{"E15", "E13"}, "E09000025", "Newham", phoneLondon},
	{"Camden", "London", "Greater London", 51.5390, -0.1426, []string{"NW1"}, "E09000007", "Camden", phoneLondon},
	{"Islington", "London", "Greater London", 51.5500, -0.1150, []string{"N7", "N1"}, "E09000019", "Islington", phoneLondon},
}

// townNamed returns the town with the given name; it panics on an unknown
// name, which is a mistake in this package's tables caught by its tests.
func townNamed(name string) *town {
	for i := range towns {
		if towns[i].name == name {
			return &towns[i]
		}
	}
	panic("demo: no town " + name)
}

// areaURIPrefix makes an ONS code into the linked-data URI of that area.
const areaURIPrefix = "http://statistics.data.gov.uk/id/statistical-geography/"
