package demo

// role is the part an organisation plays in an area's health-and-justice
// landscape. Every demo area has one organisation in each role.
type role int

const (
	roleTrust     role = iota // NHS mental health trust
	roleRecovery              // drug and alcohol treatment provider
	roleReconnect             // care-after-custody provider
	roleGP                    // inclusion-health GP practice
	roleWomen                 // women's centre
	roleHousing               // housing-related support
	rolePeer                  // peer support and crisis café
	roleAdvice                // advice and veterans' support
	numRoles
)

// org is one invented organisation: its name and the made-up web domain
// (on the reserved .example top-level domain) its addresses use.
type org struct {
	name, domain string
}

// language is a language other than English some of an area's services
// work in.
type language struct{ name, code string }

// area is a group of neighbouring towns with its own set of invented
// organisations, as a probation region or integrated care system would
// see it.
type area struct {
	key     string
	name    string
	towns   []string // town names; the first is where area-wide services are based
	phone   string   // drama-number prefix for every number in the area
	orgs    [numRoles]org
	streets []string // invented street names
	langs   []language
}

var (
	polish     = language{"Polish", "pl"}
	lithuanian = language{"Lithuanian", "lt"}
	romanian   = language{"Romanian", "ro"}
	urdu       = language{"Urdu", "ur"}
	punjabi    = language{"Punjabi", "pa"}
	bengali    = language{"Bengali", "bn"}
	arabic     = language{"Arabic", "ar"}
	somali     = language{"Somali", "so"}
	portuguese = language{"Portuguese", "pt"}
	spanish    = language{"Spanish", "es"}
	turkish    = language{"Turkish", "tr"}
	yoruba     = language{"Yoruba", "yo"}
	kurdish    = language{"Kurdish", "ku"}
	bsl        = language{"British Sign Language", "bfi"}
)

// areas are the places the demo directory covers. Every organisation,
// street and web domain here is invented.
var areas = []area{
	{
		key: "lincs", name: "Lincolnshire",
		towns: []string{"Lincoln", "Boston", "Grantham", "Gainsborough", "Skegness", "Sleaford"},
		phone: phoneNone,
		orgs: [numRoles]org{
			{"Lindum and Kesteven Mental Health NHS Foundation Trust", "lindum-kesteven-nhs.example"},
			{"Witham Valley Recovery Partnership", "withamvalleyrecovery.example"},
			{"Gateway Onward Lincolnshire CIC", "gatewayonward.example"},
			{"Wragby Yard Medical Practice", "wragbyyard-practice.example"},
			{"Lantern House Women's Centre", "lanternhouse-women.example"},
			{"Fen and Wold Housing Support", "fenandwold.example"},
			{"Minster Peer Network", "minsterpeers.example"},
			{"Three Rivers Advice Collective", "threeriversadvice.example"},
		},
		streets: []string{"Chantry Walk", "Fosse Lane", "Tentercroft Row", "Wigford Terrace", "Corporation Yard", "Eastgate Mews", "Brayford Side", "Wolds View Road"},
		langs:   []language{polish, lithuanian, romanian},
	},
	{
		key: "gm", name: "Greater Manchester",
		towns: []string{"Manchester", "Salford", "Bolton", "Oldham", "Stockport"},
		phone: phoneManchester,
		orgs: [numRoles]org{
			{"Irwell and Medlock Mental Health NHS Foundation Trust", "irwell-medlock-nhs.example"},
			{"Cottonfield Recovery Service", "cottonfieldrecovery.example"},
			{"Northgate Onward Care After Custody", "northgateonward.example"},
			{"Redbank Inclusion Health Practice", "redbank-practice.example"},
			{"Loom Women's Centre", "loomwomen.example"},
			{"Canalside Homes Support", "canalsidehomes.example"},
			{"Rainy City Peer Support", "rainycitypeers.example"},
			{"Pennine Edge Advice Centre", "pennineedgeadvice.example"},
		},
		streets: []string{"Spindle Street", "Weaver's Row", "Cobden Yard", "Mill Brow", "Cottonwick Road", "Bobbin Lane", "Ashworth Terrace", "Tenter Street"},
		langs:   []language{urdu, polish, arabic},
	},
	{
		key: "wy", name: "West Yorkshire",
		towns: []string{"Leeds", "Bradford", "Wakefield", "Huddersfield", "Halifax"},
		phone: phoneLeeds,
		orgs: [numRoles]org{
			{"Aire and Calder Mental Health NHS Foundation Trust", "aire-calder-nhs.example"},
			{"Aireside Recovery Partnership", "airesiderecovery.example"},
			{"Wool Exchange Resettlement Health", "woolexchangehealth.example"},
			{"Kirkgate Arches Medical Centre", "kirkgatearches.example"},
			{"Heddle Women's Centre", "heddlewomen.example"},
			{"Millstone Housing Support", "millstonehousing.example"},
			{"Calder Voices Peer Support", "caldervoices.example"},
			{"Ridings Advice and Veterans Service", "ridingsadvice.example"},
		},
		streets: []string{"Shuttle Street", "Worsted Row", "Dyehouse Lane", "Fleece Yard", "Carding Road", "Loomshed Terrace", "Piece Hall Walk", "Beckside Street"},
		langs:   []language{urdu, punjabi, polish},
	},
	{
		key: "bham", name: "Birmingham and the Black Country",
		towns: []string{"Birmingham", "West Bromwich", "Wolverhampton", "Walsall"},
		phone: phoneBirmingham,
		orgs: [numRoles]org{
			{"Rea Valley Mental Health NHS Foundation Trust", "reavalley-nhs.example"},
			{"Canal Quarter Recovery Service", "canalquarterrecovery.example"},
			{"Jewellery Gate Care After Custody", "jewellerygate.example"},
			{"Fazeley Lock Medical Practice", "fazeleylock-practice.example"},
			{"Lantern Yard Women's Centre", "lanternyard-women.example"},
			{"Tame Bridge Housing Support", "tamebridgehousing.example"},
			{"Brindley Peer Collective", "brindleypeers.example"},
			{"Anvil Advice Black Country", "anviladvice.example"},
		},
		streets: []string{"Foundry Row", "Chainmaker Street", "Locksmith Yard", "Gunbarrel Lane", "Button Street", "Toll House Road", "Wharfside Terrace", "Brassworks Walk"},
		langs:   []language{urdu, punjabi, bengali, somali},
	},
	{
		key: "bristol", name: "Bristol and surrounding areas",
		towns: []string{"Bristol", "Kingswood", "Weston-super-Mare"},
		phone: phoneBristol,
		orgs: [numRoles]org{
			{"Avon Gorge Mental Health NHS Trust", "avongorge-nhs.example"},
			{"Harbourside Recovery Collective", "harboursiderecovery.example"},
			{"Severnside Onward Care After Custody", "severnsideonward.example"},
			{"Brunel Yard Medical Practice", "brunelyard-practice.example"},
			{"Kite Women's Centre", "kitewomen.example"},
			{"Floating Harbour Housing Support", "floatingharbour.example"},
			{"Cabot Peers", "cabotpeers.example"},
			{"Frome Valley Advice Centre", "fromevalleyadvice.example"},
		},
		streets: []string{"Chandlers Quay", "Ropewalk Lane", "Tobacco Row", "Cooperage Street", "Sugar House Yard", "Packet Wharf", "Glasshouse Steps", "Ferry Street"},
		langs:   []language{somali, polish, arabic},
	},
	{
		key: "tyne", name: "Tyneside and Wearside",
		towns: []string{"Newcastle", "Gateshead", "Sunderland", "North Shields", "South Shields"},
		phone: phoneTyneside,
		orgs: [numRoles]org{
			{"Ouseburn and Derwent Mental Health NHS Foundation Trust", "ouseburn-derwent-nhs.example"},
			{"Quayside Recovery Partnership", "quaysiderecovery.example"},
			{"Keelmen's Gate Care After Custody", "keelmensgate.example"},
			{"Pilgrim Yard Medical Practice", "pilgrimyard-practice.example"},
			{"Wherry Women's Centre", "wherrywomen.example"},
			{"Staithes Housing Support", "staitheshousing.example"},
			{"Coble Peer Support", "coblepeers.example"},
			{"High Level Advice and Veterans Hub", "highleveladvice.example"},
		},
		streets: []string{"Keel Row", "Chare Lane", "Shipwright Street", "Ropery Walk", "Glassmaker Yard", "Staith Road", "Pit Row Terrace", "Ferryboat Lane"},
		langs:   []language{arabic, polish, kurdish},
	},
	{
		key: "notts", name: "Nottingham and Nottinghamshire",
		towns: []string{"Nottingham", "Mansfield", "Arnold", "Beeston"},
		phone: phoneNottingham,
		orgs: [numRoles]org{
			{"Trent and Leen Mental Health NHS Foundation Trust", "trent-leen-nhs.example"},
			{"Lace Market Recovery Partnership", "lacemarketrecovery.example"},
			{"Sherwood Gate Care After Custody", "sherwoodgate.example"},
			{"Carrington Row Medical Practice", "carringtonrow-practice.example"},
			{"Bobbin Women's Centre", "bobbinwomen.example"},
			{"Greenwood Housing Support", "greenwoodhousing.example"},
			{"Leenside Peer Support", "leensidepeers.example"},
			{"Arboretum Advice Centre", "arboretumadvice.example"},
		},
		streets: []string{"Lacemaker Row", "Hosiery Street", "Framework Lane", "Tannery Yard", "Colliers Walk", "Sherwood Rise Road", "Narrowboat Street", "Pinfold Terrace"},
		langs:   []language{polish, urdu, punjabi},
	},
	{
		key: "slondon", name: "South London",
		towns: []string{"Lambeth", "Southwark", "Croydon"},
		phone: phoneLondon,
		orgs: [numRoles]org{
			{"Effra and Peck Mental Health NHS Foundation Trust", "effra-peck-nhs.example"},
			{"Effra Recovery Collective", "effrarecovery.example"},
			{"Borough Gate Care After Custody", "boroughgate.example"},
			{"Ferndale Yard Health Practice", "ferndaleyard-practice.example"},
			{"Marigold Women's Centre", "marigoldwomen.example"},
			{"Thameside Steps Housing Support", "thamesidesteps.example"},
			{"Lighthouse Steps Peer Network", "lighthousesteps.example"},
			{"Elephant Arches Advice Centre", "elephantarches.example"},
		},
		streets: []string{"Tabard Mews", "Hop Exchange Row", "Vauxhall Walk Yard", "Tanner's Court", "Windmill Row", "Marsh Lane Terrace", "Sail Loft Street", "Pleasure Garden Road"},
		langs:   []language{portuguese, spanish, yoruba},
	},
	{
		key: "elondon", name: "East London",
		towns: []string{"Hackney", "Tower Hamlets", "Newham"},
		phone: phoneLondon,
		orgs: [numRoles]org{
			{"Lea and Roding Mental Health NHS Foundation Trust", "lea-roding-nhs.example"},
			{"Limehouse Cut Recovery Service", "limehousecut.example"},
			{"Bow Gate Care After Custody", "bowgate.example"},
			{"Mare Yard Inclusion Health Practice", "mareyard-practice.example"},
			{"Weavers' Loft Women's Centre", "weaversloft-women.example"},
			{"Dockside Housing Support", "docksidehousing.example"},
			{"Eastside Peer Collective", "eastsidepeers.example"},
			{"Stratford Arches Advice Centre", "stratfordarches.example"},
		},
		streets: []string{"Silk Weavers Row", "Match Factory Lane", "Lighterman Street", "Wharf Steps", "Bargehouse Yard", "Cordwainer Walk", "Gasholder Terrace", "Saltpetre Road"},
		langs:   []language{bengali, turkish, urdu},
	},
}
