package account

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite common_passwords.txt from the generator")

// The hand-written ingredients of the deny-list. Entries are folded (lower
// case, no spaces) and letters only where the leet reading would otherwise
// miss them; CommonPassword trims digits and punctuation from both ends, so
// no entry needs "123" or "!" after it.
var (
	passwordWords = words(`
		password passwd passcode passphrase secret secretpassword topsecret mypass
		letmein letmeinnow openup opensesame welcome welcomehome hello helloworld
		hithere goodbye login logmein admin administrator root superuser sysadmin
		master mastermind guest user default changeme changeit newpassword
		newuser temp temporary test testing tester qwerty azerty trustno
		trustnoone nobody somebody anybody everybody whatever whoami iamgod
		iloveyou iloveme loveyou lovely lovelove loveme forever foreverlove
		sweetheart darling honey baby babygirl babyboy princess prince princessa
		angel angels devil heaven hell god jesus christ jesuschrist blessed
		faith hope grace trinity amen hallelujah sunshine sunflower moonlight
		starlight rainbow butterfly flower flowers blossom summer winter spring
		autumn football soccer rugby cricket tennis golf boxing hockey baseball
		basketball snooker darts swimming running cycling
		superman batman spiderman ironman wonderwoman catwoman hulk thor
		starwars startrek jedi skywalker vader pokemon pikachu mario zelda
		minecraft fortnite roblox gaming gamer player killer hunter sniper
		warrior ninja samurai knight dragon dragons dragonfly phoenix tiger
		lion panther eagle falcon hawk wolf shadow ghost phantom matrix
		neo morpheus cheese chocolate cookie cupcake pancake banana apple
		orange lemon strawberry cherry peaches coffee whisky whiskey vodka
		beer guinness pepper ginger sugar candy muffin biscuit
		money dollar pounds rich million millionaire lucky luckyme winner
		champion success freedom liberty justice peace harmony happy
		happiness smile funny crazy cool awesome amazing perfect magic
		wizard merlin gandalf hobbit frodo harrypotter hogwarts slytherin
		gryffindor hermione computer internet google facebook instagram twitter
		youtube tiktok netflix amazon apple iphone samsung android microsoft
		windows linux ubuntu oracle access accessgranted security secure
		private personal mydata qazwsx asdf zxcv abc abcd abcdef abcdefgh
		alphabet alpha bravo charlie delta echo foxtrot omega sigma zulu
		monkey donkey turtle rabbit bunny kitten kitty puppy doggy
		puppylove fluffy snoopy garfield scooby tigger winnie pooh
		mickey minnie donald goofy simba nemo elmo barbie
		blink batman beatles elvis queen metallica nirvana slipknot
		jordan beckham ronaldo messi rooney kane gerrard lampard
		mustang ferrari porsche mercedes harley yamaha honda
		london england britain scotland wales ireland english british
		united kingdom europe america canada australia
		iloveu imissyou missyou thankyou sorry please yesplease nothanks
		blahblah yadayada lalala hahaha hehehe lolol omg wtf
		nothing something everything anything
		fuckyou fuckoff bollocks bugger shit
		`)

	names = words(`
		oliver george harry noah jack leo arthur muhammad mohammed oscar
		charlie jacob thomas william james henry alfie joshua freddie archie
		theo isaac teddy finley logan ethan daniel samuel lucas joseph max
		alexander edward sebastian reggie benjamin jude rory adam ryan dylan
		liam callum connor jamie kyle lewis luke matthew michael nathan owen
		peter paul richard robert simon stephen steven andrew anthony chris
		christopher david gary ian jason john kevin mark martin neil scott
		lee craig darren dean wayne shaun carl barry colin graham keith
		olivia amelia isla ava mia ivy lily isabella rosie sophia grace
		freya willow florence emily ella poppy evie elsie charlotte evelyn
		sienna sofia daisy phoebe sophie alice harper matilda ruby emilia
		maya millie chloe jessica lucy holly megan hannah katie laura
		rebecca sarah emma amy jade gemma leanne kelly lisa nicola
		michelle claire helen karen julie susan tracey joanne donna
		louise rachel victoria natalie samantha stacey zoe abigail
		ashley amber bethany caitlin courtney danielle eleanor georgia
		hayley jasmine jennifer kirsty lauren leah naomi paige shannon
		tyler alex sam jo kim pat chris mo ali
		`)

	clubs = words(`
		arsenal astonvilla villa bournemouth brentford brighton burnley
		chelsea crystalpalace palace everton fulham leeds leedsunited
		leicester leicestercity liverpool lfc ynwa mancity manchestercity
		manutd manchesterunited manchester newcastle newcastleunited
		nottingham nottinghamforest forest southampton tottenham spurs
		westham westhamunited hammers wolves wolverhampton sunderland
		middlesbrough boro norwich ipswich derby derbycounty stoke
		stokecity sheffield sheffieldunited sheffieldwednesday blades
		owls cardiff swansea celtic rangers hearts hibs aberdeen
		lincoln lincolncity imps grimsby hull hullcity notts nottscounty
		portsmouth pompey millwall charlton coventry birmingham westbrom
		albion blackburn bolton wigan preston readingfc watford qpr
		`)

	places = words(`
		birmingham leeds glasgow sheffield bradford edinburgh liverpool
		bristol cardiff manchester leicester coventry belfast nottingham
		newcastle sunderland brighton hull plymouth stoke wolverhampton
		derby swansea southampton salford aberdeen westminster portsmouth
		york peterborough dundee lancaster oxford cambridge norwich exeter
		lincoln gloucester chester bath durham carlisle wakefield
		doncaster grimsby boston skegness sleaford grantham newark
		kesteven lincolnshire yorkshire lancashire essex kent surrey
		sussex devon cornwall norfolk suffolk cumbria
		`)

	things = words(`
		cat dog dogs cats horse pony fish bird parrot budgie hamster
		red blue green yellow purple pink black white silver gold golden
		brown grey gray violet
		january february march april may june july august september
		october november december
		monday tuesday wednesday thursday friday saturday sunday
		weekend holiday christmas xmas easter birthday halloween newyear
		family mother father mummy daddy mum dad mom nana grandma grandad
		sister brother husband wife friend friends bestfriend
		house home garden kitchen school college university office work
		teacher doctor nurse police officer soldier army navy
		spring flower tree forest ocean river mountain sky star stars
		moon sun earth water fire ice snow storm thunder lightning
		`)

	// contextTerms are words from this service's field that staff would
	// reach for.
	contextTerms = words(`
		throughcare probation probationofficer prison prisons custody
		release licence license offender nhs nhstrust nhsengland icb
		council localauthority commissioner commissioning practitioner
		provider referral referrals mentalhealth health healthcare care
		carer careplan justice healthandjustice liaison diversion
		reconnect recovery wellbeing talkingtherapies therapy therapist
		counselling support keyworker caseload casework hmpps moj
		homeoffice gov govuk
		`)

	// keyboardRows are runs on a UK QWERTY keyboard; generateCommonPasswords
	// adds every run of six or more from each, forwards and backwards.
	keyboardRows = words(`
		1234567890-= qwertyuiop[] asdfghjkl;'# zxcvbnm,./
		!"£$%^&*()_+ qwertzuiop azertyuiop qwertyuiopasdfghjklzxcvbnm
		1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/ qazwsxedcrfvtgbyhnujmikolp
		zaq12wsxcde34rfvbgt56yhnmju78ik,.lo90p;/ qweasdzxc asdzxcqwe
		1q2w3e4r5t6y7u8i9o0p q1w2e3r4t5y6u7i8o9p0 1a2s3d4f5g6h7j8k9l
		`)
)

// words splits a list written across lines.
func words(s string) []string { return strings.Fields(s) }

// generateCommonPasswords builds the deny-list from the ingredients above.
// The result is sorted, unique and folded the way CommonPassword folds.
func generateCommonPasswords() []string {
	set := map[string]bool{}
	add := func(s string) {
		if s = fold(s); s != "" {
			set[s] = true
		}
	}
	var bases []string
	for _, list := range [][]string{passwordWords, names, clubs, places, things, contextTerms} {
		bases = append(bases, list...)
	}
	for _, b := range bases {
		add(b)
		add("my" + b)
		add("the" + b)
	}
	// "I love …" with a person, a team, a place or a thing.
	for _, list := range [][]string{names, clubs, places, things} {
		for _, b := range list {
			add("ilove" + b)
			add("iheart" + b)
		}
	}
	// Pairs people use: two names, a name and a thing, and the well-known
	// phrases.
	for _, p := range words(`
		letmein opensesame correcthorsebatterystaple trustno1 iloveyou
		iloveyouforever iloveyousomuch iloveyoutoo loveyouforever
		mypasswordis thisismypassword passwordis notmypassword
		whatisthepassword forgotmypassword iforgotmypassword
		changemenow pleasechangeme donotchange nopassword
		thequickbrownfox thequickbrownfoxjumpsoverthelazydog
		jumpsoverthelazydog maytheforcebewithyou mayforcebewithyou
		tobeornottobe keepcalmandcarryon keepcalm carryon
		godsavethequeen godsavetheking rulebritannia
		comeonengland itscominghome footballscominghome
		youllneverwalkalone neverwalkalone gloryglory comeonyou
		`) {
		add(p)
	}
	for _, row := range keyboardRows {
		r := []rune(row)
		for _, s := range [][]rune{r, reversed(r)} {
			for i := range len(s) {
				for j := i + 6; j <= len(s); j++ {
					add(string(s[i:j]))
				}
			}
		}
	}
	// Digit runs up and down, wrapping through 0, from six to twenty long.
	const up, down = "01234567890123456789012345678901", "98765432109876543210987654321098"
	for _, run := range []string{up, down} {
		for i := range 10 {
			for n := 6; n <= 20; n++ {
				add(run[i : i+n])
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func reversed(r []rune) []rune {
	c := slices.Clone(r)
	slices.Reverse(c)
	return c
}

const commonPasswordsHeader = `# Common-password deny-list for ValidateNewPassword, generated by
# TestCommonPasswordsFile (internal/account/denylist_gen_test.go) from
# hand-written word lists and keyboard and digit patterns; not copied from
# any published list. Do not edit by hand: change the generator and run
#   go test ./internal/account -run TestCommonPasswordsFile -update
`

// TestCommonPasswordsFile checks that the embedded deny-list is exactly what
// the generator makes, and rewrites it with -update.
func TestCommonPasswordsFile(t *testing.T) {
	want := commonPasswordsHeader + strings.Join(generateCommonPasswords(), "\n") + "\n"
	if *update {
		if err := os.WriteFile("common_passwords.txt", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if commonPasswordsText != want {
		t.Fatal("common_passwords.txt is out of date; run go test ./internal/account -run TestCommonPasswordsFile -update")
	}
	n := len(commonPasswords())
	if n < 2000 || n > 20000 {
		t.Fatalf("deny-list has %d entries, want a few thousand", n)
	}
}
