"""Named word tables the extractor reads: what a counted noun or verb means.

Everything the extractor knows about English news copy on air wars lives here, as data.
"""

from __future__ import annotations

import re

from conflict_ingest.contract import Metric, Victim

# Head nouns that make a number a count of a metric.
METRIC_NOUNS: dict[str, Metric] = {
    **dict.fromkeys(
        ("strike", "strikes", "airstrike", "airstrikes", "raid", "raids", "attacks", "attack", "bombings"),
        Metric.STRIKES,
    ),
    **dict.fromkeys(("bombardments",), Metric.STRIKES),
    **dict.fromkeys(("engagement", "engagements"), Metric.ENGAGEMENTS),
    **dict.fromkeys(("sortie", "sorties"), Metric.SORTIES),
    **dict.fromkeys(
        (
            "weapon",
            "weapons",
            "munition",
            "munitions",
            "bomb",
            "bombs",
            "missile",
            "missiles",
            "rocket",
            "rockets",
            "shells",
            "mortars",
            "projectiles",
            "tomahawks",
            "drones",
            "rounds",
            "jdams",
            "hellfires",
            "warheads",
        ),
        Metric.WEAPONS_RELEASED,
    ),
    **dict.fromkeys(("deaths", "dead", "fatalities"), Metric.KILLED),
    **dict.fromkeys(("injuries",), Metric.WOUNDED),
}
# Weapon nouns that also name things merely owned or flown: they need a launch verb in the sentence.
WEAPON_NOUNS_NEEDING_VERB = frozenset({"drones", "rounds", "shells", "mortars"})

#: Ordinals before a single victim ("a second insurgent was killed"): which one of a toll already stated.
ORDINAL_WORDS: dict[str, int] = {
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
}

# People a toll counts, by victim class ("others" takes the class of the toll before it).
VICTIM_NOUNS: dict[str, Victim] = {
    **dict.fromkeys(
        (
            "militants",
            "militant",
            "fighters",
            "fighter",
            "soldiers",
            "soldier",
            "troops",
            "insurgents",
            "jihadists",
            "combatants",
            "gunmen",
            "rebels",
            "extremists",
            "terrorists",
            "servicemen",
            "commanders",
            "operatives",
            "policemen",
            # the singular of each, and other names news copy gives armed men (singular and plural)
            "insurgent",
            "jihadist",
            "combatant",
            "gunman",
            "rebel",
            "extremist",
            "terrorist",
            "serviceman",
            "commander",
            "operative",
            "policeman",
            "leader",
            "leaders",
            "attacker",
            "attackers",
            "bomber",
            "bombers",
            "facilitator",
            "facilitators",
            "sniper",
            "snipers",
            "guerrilla",
            "guerrillas",
            "paramilitaries",
            "paramilitary",
            "militiamen",
            "militiaman",
            "emir",
            "emirs",
            "lieutenant",
            "lieutenants",
            "officer",
            "officers",
            "recruits",
            "recruit",
            "marines",
            "marine",
            "sailors",
            "airmen",
        ),
        Victim.COMBATANTS,
    ),
    **dict.fromkeys(
        (
            "civilians",
            "civilian",
            "children",
            "child",
            "women",
            "woman",
            "girls",
            "boys",
            "kids",
            "students",
            "refugees",
            "patients",
            "worshippers",
            "pupils",
            "infants",
            "babies",
            "boy",
            "girl",
            "kid",
            "student",
            "refugee",
            "patient",
            "worshipper",
            "pupil",
            "infant",
            "baby",
            "farmer",
            "farmers",
            "villager",
            "villagers",
            "journalist",
            "journalists",
            "doctor",
            "doctors",
            "nurse",
            "nurses",
            "shepherd",
            "shepherds",
            "bystander",
            "bystanders",
        ),
        Victim.CIVILIANS,
    ),
    **dict.fromkeys(
        (
            "people",
            "persons",
            "individuals",
            "palestinians",
            "israelis",
            "syrians",
            "iraqis",
            "yemenis",
            "afghans",
            "somalis",
            "ukrainians",
            "lebanese",
            "victims",
            "others",
            "members",
            "residents",
            "person",
            "individual",
            "victim",
            "member",
            "resident",
            "man",
            "men",
            "suspect",
            "suspects",
            "associate",
            "associates",
            "driver",
            "drivers",
            "passenger",
            "passengers",
            "occupant",
            "occupants",
            "relative",
            "relatives",
            "guard",
            "guards",
            "personnel",
        ),
        Victim.UNSPECIFIED,
    ),
}
# One person, as a toll's victim noun names them ("killed the commander", "a civilian was killed"): the
# singular nouns of VICTIM_NOUNS (its class comes from there).
SINGULAR_PERSON_NOUNS = frozenset(
    [
        "militant", "fighter", "soldier", "insurgent", "jihadist", "combatant", "gunman", "rebel", "extremist",
        "terrorist", "serviceman", "commander", "operative", "policeman", "leader", "attacker", "bomber",
        "facilitator", "sniper", "guerrilla", "paramilitary", "militiaman", "emir", "lieutenant", "officer",
        "recruit", "marine", "civilian", "child", "woman", "boy", "girl", "kid", "student", "refugee", "patient",
        "worshipper", "pupil", "infant", "baby", "farmer", "villager", "journalist", "doctor", "nurse",
        "shepherd", "bystander", "person", "individual", "member", "resident", "man", "suspect", "associate",
        "driver", "passenger", "occupant", "relative", "guard",
    ]
)  # fmt: skip
# One person named by their tie to the person listed before them ("the commander and his deputy"): an aide
# takes that person's victim class, a relative has none of their own (``reader.coordinated_toll_rule``).
AIDE_NOUNS = frozenset(
    {
        "deputy", "aide", "bodyguard", "assistant", "associate", "accomplice", "companion", "subordinate",
        "lieutenant", "driver", "guard", "courier", "spokesman", "second-in-command",
    }
)  # fmt: skip
KIN_NOUNS = frozenset(
    {
        "son", "daughter", "brother", "sister", "wife", "husband", "father", "mother", "nephew", "niece",
        "cousin", "uncle", "aunt", "grandson", "granddaughter", "grandfather", "grandmother", "brother-in-law",
    }
)  # fmt: skip
# Pronouns that name one person as a toll's object ("the patrol returned fire, killing him").
SINGULAR_PRONOUNS = frozenset({"him", "her"})
# Words before a subject that deny or question the toll ("no civilian was killed", "whether anyone was hurt").
NO_VICTIM_WORDS = frozenset(
    {"no", "none", "nobody", "noone", "anyone", "anybody", "neither", "nor", "whether", "if", "not", "never"}
)
# Verbs of detention: a count they govern is never a toll ("captured 30 suspects and killed seven").
DETENTION_VERBS = frozenset(
    {
        "detained", "detaining", "detain", "detains", "captured", "capturing", "capture", "captures",
        "arrested", "arresting", "arrest", "arrests", "apprehended", "apprehending", "apprehend", "seized",
        "held", "holding", "abducted", "abducting", "kidnapped", "kidnapping", "surrendered", "questioned",
    }
)  # fmt: skip
# Vague quantity words, read as a conservative lower bound of what they say (qualifier ``vague``, the words
# kept as ``count_text``). Each value is the least number the word can honestly mean in English, never a
# typical or guessed value, so a sum of vague counts never overstates a toll:
# - "a couple of" is two; "a few", "a handful of", "a number of", "multiple" say more than one: 2;
# - "several" says more than two (more than a couple): 3; "many", "numerous" say at least several, and
#   English gives them no higher floor: 3;
# - "dozens of" is at least two dozen (24), "scores of" at least two score (40), "hundreds of" at least two
#   hundred, "thousands of" at least two thousand, "tens of thousands of" at least twenty thousand.
# Only tolls (killed, wounded) take them: "dozens of strikes" stays no record (see ``reader``).
# Change a value here, and only here; the reader builds its pattern from this table.
VAGUE_QUANTITIES: dict[str, int] = {
    "a couple of": 2,
    "a few": 2,
    "a handful of": 2,
    "a number of": 2,
    "multiple": 2,
    "several": 3,
    "many": 3,
    "numerous": 3,
    "dozens of": 24,
    "scores of": 40,
    "hundreds of": 200,
    "thousands of": 2_000,
    "tens of thousands of": 20_000,
    "hundreds of thousands of": 200_000,
}
# Modifiers inside a toll's noun phrase that set the victim class ("348 civilian deaths").
VICTIM_MODIFIERS: dict[str, Victim] = {
    "civilian": Victim.CIVILIANS,
    "military": Victim.COMBATANTS,
    "militant": Victim.COMBATANTS,
}
INHERITING_VICTIM_NOUNS = frozenset({"others"})
# Members of an armed group are combatants: "the group's members", "members of the militia".
# (as the noun phrase reads them: "the group's members" -> "group", "members")
ARMED_GROUP_WORDS = frozenset(
    {"group", "militia", "movement", "faction", "rebels'", "rebels’", "insurgents'"}
)
ARMED_GROUP_AFTER_RE = re.compile(
    r"^\s*of\s+(?:the|an|a|that|this)\s+(?:armed\s+|rebel\s+|militant\s+|jihadist\s+)?"
    r"(?:group|militia|movement|faction|insurgency)\b",
    re.I,
)

WEAPON_VERBS = frozenset(
    {
        "released",
        "release",
        "releasing",
        "releases",
        "dropped",
        "drop",
        "dropping",
        "drops",
        "fired",
        "fire",
        "firing",
        "fires",
        "launched",
        "launch",
        "launching",
        "launches",
        "unleashed",
        "employed",
        "expended",
        "lobbed",
        "hurled",
    }
)
KILLED_VERBS = frozenset(
    {"killed", "killing", "kills", "kill", "died", "dead", "die", "dies", "slain", "perished"}
)
WOUNDED_VERBS = frozenset({"wounded", "wounding", "injured", "injuring", "hurt", "maimed"})
STRIKE_VERBS = frozenset({"struck", "hit", "bombed", "attacked", "raided", "pounded", "targeted"})
# What became of launched weapons: a subset, never a count of its own.
OUTCOME_RE = re.compile(
    r"\b(?:intercepted|intercepting|intercept|downed|shot\s+down|brought\s+down|fell\s+short|"
    r"failed|misfired|crashed|lost\s+from\s+radar|destroyed|destroying|"
    r"neutrali[sz]ed|landed|missed)\b",
    re.I,
)
# Weapons sold, stockpiled or owned are not weapons released.
NON_RELEASE_RE = re.compile(
    r"\b(?:sold|sell|sells|selling|sale|sales|bought|buy|buys|purchased?|purchasing|deliver(?:ed|ies|y)?|"
    r"suppl(?:ied|y|ies)|shipped|transferred|stockpiled?|stockpiles|stocks?|arsenal|inventory|inventories|owns?|"
    r"owned|possess(?:es|ed)?|ordered|orders?|produced?|produces|manufactured?|worth|contract|package|"
    r"deal|approved|requested|carry|carries|carrying|capable|capacity|payload|hold|holds|armed\s+with)\b",
    re.I,
)
# Words right before a toll's number that nest it inside the toll just stated ("killed 14 civilians,
# among them six children"): it takes that toll's metric.
NESTED_BEFORE_RE = re.compile(
    r"\b(?:including|among\s+them|among\s+whom|of\s+whom|of\s+them|among\s+the\s+(?:dead|victims))\s*[,:]?\s*"
    # a single person named first: "among them a policeman and three children"
    r"(?:(?:a|an)\s+(?:[\w-]+\s+){0,2}?and\s+)?"
    r"(?:(?:at\s+least|more\s+than|some|about|nearly|around|over|up\s+to)\s+)?$",
    re.I,
)
# An introductory phrase before a comma that lets a bare number open its clause ("Near Mosul, four").
INTRO_PHRASE_RE = re.compile(
    r"^(?:near|in|at|on|around|outside|across|over|elsewhere|meanwhile|separately|also|"
    r"(?:north|south|east|west|northeast|northwest|southeast|southwest)(?:ern)?(?:\s+of)?)\b[^,;:]{0,60},$",
    re.I,
)
# Verbs that break a count just stated into its parts ("The barrage included 170 drones").
BREAKDOWN_RE = re.compile(
    r"\b(?:included|includes|including|comprised|comprising|consisted\s+of|consisting\s+of|made\s+up\s+of|"
    r"among\s+them|of\s+which|of\s+them)\b",
    re.I,
)
# A partitive toll's class named after its verb: "Three of the dead were children".
PREDICATE_VICTIM_RE = re.compile(r"^[^.;,]{0,30}?\b(?:were|was|are)\s+(?:all\s+)?(?P<noun>[a-z]+)\b", re.I)
# Nouns that a metric noun can modify ("weapons sites", "missile launchers"): the phrase counts them.
COMPOUND_HEADS = frozenset(
    [
        "site", "sites", "depot", "depots", "factory", "factories", "facility", "facilities", "plant", "plants",
        "launcher", "launchers", "storage", "stores", "cache", "caches", "dump", "dumps", "warehouse",
        "warehouses", "programme", "program", "programs", "programmes", "system", "systems", "battery",
        "batteries", "shelter", "shelters", "units", "boats", "ships", "aircraft", "jets", "carriers", "tests",
        "experts", "inspectors", "components", "parts", "makers", "manufacturers", "contracts", "range",
    ]
)  # fmt: skip
# Sources that vouch for a toll without saying whose strikes caused it ("the Health Ministry said").
OPEN_SOURCE_RE = re.compile(
    r"\b(?:health\s+ministry|ministry\s+of\s+health|health\s+officials?|health\s+authorit(?:y|ies)|medics|"
    r"hospital\s+officials?|civil\s+defen[cs]e|monitors?|monitoring\s+group|observatory|rights\s+groups?)\b",
    re.I,
)
# A toll tied to the strikes the page is about ("killed in the strikes", "the raids killed").
STRIKE_REFERENCE_RE = re.compile(
    r"\b(?:the|these|those|its|their|his|her)\s+(?:[\w-]+\s+)?(?:strikes?|airstrikes?|air\s+strikes?|raids?|"
    r"bombing|bombings|bombardment|attacks?|shelling|blast|explosion)\b",
    re.I,
)
# Words that end a noun phrase after a number.
STOP_WORDS = frozenset(
    [
        "in",
        "on",
        "at",
        "of",
        "and",
        "or",
        "to",
        "from",
        "with",
        "by",
        "near",
        "for",
        "over",
        "across",
        "during",
        "since",
        "between",
        "against",
        "into",
        "onto",
        "through",
        "around",
        "after",
        "before",
        "under",
        "as",
        "than",
        "that",
        "which",
        "who",
        "whom",
        "whose",
        "where",
        "when",
        "while",
        "but",
        "the",
        "a",
        "an",
        "this",
        "these",
        "those",
        "its",
        "their",
        "his",
        "her",
        "our",
        "were",
        "was",
        "are",
        "is",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "will",
        "would",
        "could",
        "should",
        "may",
        "might",
        "can",
        "did",
        "do",
        "does",
        "not",
        "also",
        "each",
        "every",
        "per",
        "including",
        "among",
        "there",
        "here",
        "so",
        "then",
        "it",
        "they",
        "we",
        "he",
        "she",
        "all",
        "both",
        "only",
        "alone",
        "just",
        "already",
        "now",
        "still",
        "again",
        "later",
        "earlier",
        "ago",
        "more",
        "most",
        "some",
        "any",
        "no",
        "nor",
        "if",
        "because",
        "within",
        "without",
        "toward",
        "towards",
        "along",
        "amid",
        "outside",
        "inside",
        "throughout",
        "until",
        "till",
        "via",
        "like",
        "whether",
        "north",
        "south",
        "east",
        "west",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "northern",
        "southern",
        "eastern",
        "western",
        "apiece",
        "each",
        "overnight",
        "today",
        "yesterday",
        "tonight",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
GENERAL_VERBS = frozenset(
    [
        "took",
        "take",
        "takes",
        "came",
        "come",
        "went",
        "left",
        "made",
        "make",
        "included",
        "includes",
        "include",
        "comprising",
        "comprised",
        "consisting",
        "account",
        "accounted",
        "accounts",
        "engaged",
        "represent",
        "represents",
        "represented",
        "resulted",
        "results",
        "involved",
        "involves",
        "remained",
        "remain",
        "stood",
        "stand",
        "said",
        "says",
        "say",
        "reported",
        "reports",
        "destroyed",
        "damaged",
        "knocked",
        "wrecked",
        "took",
        "targeted",
        "occurred",
        "happened",
        "marked",
        "brought",
        "edged",
        "brings",
        "raised",
        "rose",
        "fell",
        "totalled",
        "totaled",
        "reached",
        "topped",
        "passed",
        "exceeded",
    ]
)
# Words after a number that make it a comparison or a share, not a count.
COMPARATIVE_RE = re.compile(
    r"^\s*(?:more|fewer|less|lower|higher|greater)\s+(?:than|from)\b|^\s*(?:up|down|above|below)\s+(?:on|from)\b|"
    r"^\s*(?:lower|higher|fewer|less)\b|^\s*(?:%|percent|per\s+cent|pc\b|percentage)|^\s*(?:out\s+of|or\b|to\s+\d)",
    re.I,
)
# Labels before a number that make it a name, not a count ("Resolution 2254", "Route 1").
LABEL_BEFORE_RE = re.compile(
    r"\b(?:Resolution|Route|Highway|Road|Flight|No\.|Number|Article|Chapter|Section|Level|Phase|Brigade|Division|"
    r"Regiment|Squadron|Battalion|Wing|Room|Page|Vol\.|Camp|Sector|Zone|Block|Gate|Hill|Unit|Task\s+Force|Act|"
    r"Protocol|Decree|Law|Mission|Operation|Group|Corps|Army|Fleet|Channel|Station|Platform|Terminal|Item|"
    r"Resolutions|Top|Page|Episode|Season|Part|Grade|Class|Category|Tier|Apollo|Falcon)\s*$"
)
CURRENCY_BEFORE_RE = re.compile(r"(?:[$€£¥₹]|US\$|USD|EUR|GBP)\s*$")
MONTH_BEFORE_RE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|"
    r"Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?\s*$"
)
MONTH_AFTER_RE = re.compile(
    r"^(?:st|nd|rd|th)?\s+(?:of\s+)?(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b"
)
TIME_AFTER_RE = re.compile(r"^(?::\d|\s*(?:a\.m\.|p\.m\.|am\b|pm\b|GMT|UTC|hrs\b|o'clock|h\d))", re.I)
RANGE_BEFORE_RE = re.compile(r"\b(?:between|from)\s*$", re.I)
# The same metric's figure for an earlier month or year, stated after the count: "61 strikes in June, up from
# 48 in May" is a count of May (not a range's start); only with a named month or year right after it.
EARLIER_FIGURE_BEFORE_RE = re.compile(r"\b(?:up|down)\s+from\s*$", re.I)
EARLIER_FIGURE_AFTER_RE = re.compile(
    r"\s+(?:in|during|for)\s+(?:(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b|(?:19|20)\d\d\b)"
)
VAGUE_AFTER_RE = re.compile(r"^\s*(?:or\s+(?:more|so|two|three)|or\s+\w+|out\s+of)\b", re.I)
PARTITIVE_RE = re.compile(
    r"^\s*(?:more\s+|other\s+|additional\s+|further\s+)?of\s+(?:the|them|those|these|which|whom|its|their)\b\s*",
    re.I,
)
DEATH_TOLL_RE = re.compile(r"\b(?P<civ>civilian\s+)?(?:death|casualty|fatality)?\s*toll\b(?![-\s]free)", re.I)
# A count told of what an earlier sentence counted: "Those raids killed 229", "106 of the dead", "A further 610".
REFERS_BACK_RE = re.compile(
    r"\b(?P<act>(?:those|these|the\s+same)\s+(?:[\w-]+\s+)?(?:air\s*strikes|strikes|raids|attacks|bombings|"
    r"sorties|missions))\b"
    r"|\b(?P<dead>of\s+(?:the|those)\s+(?:dead|killed|victims))\b"
    r"|\b(?P<hurt>of\s+(?:the|those)\s+(?:wounded|injured))\b"
    r"|^\s*(?P<further>(?:a|an)\s+(?:further|additional)|another)\b"
    # a part of the count before, opening its sentence: "Of those, the monitor blames about 300 on shelling"
    r"|^\s*(?P<part>of\s+(?:those|these|them)\s*,)",
    re.I,
)
SUM_CUES_RE = re.compile(
    r"\b(?:those|together|total|totals|combined|altogether|in\s+all|account(?:ed)?\s+for|sum|both)\b", re.I
)
PRESENT_PERFECT_RE = re.compile(
    r"\b(?:has|have)\s+(?:now\s+|already\s+|so\s+far\s+)?(?:been\s+)?(?:risen|\w+ed|flown|fired|hit|struck|killed)\b",
    re.I,
)
CORRECTION_RE = re.compile(
    r"^\s*(?:correction|corrections|clarification|update|updated|editor[’']s\s+note|an\s+earlier\s+version)\b",
    re.I,
)
SUPERSEDED_RE = re.compile(
    r"\b(?:earlier\s+version|previously|originally|incorrectly|wrongly|mistakenly|misstated|erroneously|"
    r"not\s+(?=\d)|rather\s+than|instead\s+of)\b",
    re.I,
)
# "the number of U.S. airstrikes in Iraq at 198": a tally's noun named before its bare figure.
TALLY_BEFORE_RE = re.compile(
    r"\b(?:number|total|tally|count)\s+of\s+(?P<words>[^;]{1,80}?)"
    r"\b(?:at|to|was|is|stood\s+at|reached|rose\s+to|came\s+to)\s*$",
    re.I,
)
# A toll's verb a little after its noun phrase: "12 people, including three children, were killed",
# "3 children were among the 15 civilians killed".
TOLL_PASSIVE_RE = re.compile(
    r"^(?:[^.;\d]|\baged\s+\d{1,3}(?:\s*(?:,|and|to|or)\s*\d{1,3})*){0,80}?"
    r"\b(?:(?:were|was|have\s+been|had\s+been|are|is)\s+(?:[\w,-]+\s+){0,5}?"
    r"(?P<verb>killed|dead|wounded|injured|hurt)|(?P<verb2>died))\b",
    re.I,
)
# A figure the page gave before, updated: "the figure had risen to 240", "that number has since climbed to 30".
FIGURE_ROSE_BEFORE_RE = re.compile(
    r"\b(?:the|that|this|their|its)\s+(?:figure|number|tally|count)\s+(?:had\s+|has\s+)?(?:since\s+|now\s+)?"
    r"(?:risen|rose|climbed|grown|reached|increased|jumped)\s+(?:to\s+)?$",
    re.I,
)
# Words of a toll that runs from the start of the campaign: "the ministry's overall toll rose to 508 on Monday".
RUNNING_TOLL_RE = re.compile(r"\b(?:overall|total|cumulative|running)\s+(?:death\s+)?toll\b", re.I)
# A toll of civilians named before a count of deaths with no class of its own ("the civilian toll is higher
# than the five deaths", "284 civilian casualties, including 100 deaths").
CIVILIAN_TOLL_BEFORE_RE = re.compile(
    r"\bcivilian\s+(?:death\s+)?(?:toll|casualties|deaths|dead|victims)\b[^.;]*$", re.I
)
# Killed and wounded told as one figure ("killed or injured 23 children"): no count of either.
COMBINED_TOLL_BEFORE_RE = re.compile(r"\b(?:killed|dead)\s+or\s+(?:injured|wounded|maimed|hurt)\s*$", re.I)
COMBINED_TOLL_AFTER_RE = re.compile(
    r"^[\s\w-]{0,40}?\b(?:were|was|have\s+been|had\s+been)\s+(?:killed|dead)\s+or\s+(?:injured|wounded|maimed|hurt)\b",
    re.I,
)
# An age, not a count: "girls aged 9 and 12", "between the ages of 7 and 15".
AGE_BEFORE_RE = re.compile(
    r"\b(?:aged|ages?\s+of|ages|(?:boy|girl|man|woman|child|teenager|son|daughter)\s+of)\s+"
    r"(?:\d{1,3}\s*(?:,|and|to|or|-)\s*)*$",
    re.I,
)
# The span the page stated last, referred to: "in that time", "over that period", "during the same period".
THAT_TIME_RE = re.compile(
    r"\b(?:in|over|during|throughout|within)\s+(?:that|this|the\s+same)\s+(?:time|period|span|timeframe)\b",
    re.I,
)
# A toll told of a whole battle: "died in the battle for the city", "killed during the siege of the town".
WHOLE_BATTLE_RE = re.compile(
    r"\b(?:in|during|throughout)\s+the\s+(?:battle|siege|fight)\s+(?:for|of)\b", re.I
)
# A difference, not a count: "that drop of 43 strikes", "a rise of some 20 raids", "fell by 12".
DIFFERENCE_BEFORE_RE = re.compile(
    r"\b(?:(?:drop|fall|decline|decrease|reduction|increase|rise|jump|surge|difference)\s+of|"
    r"(?:fell|dropped|declined|decreased|rose|increased|jumped|grew|climbed)\s+by)\s+"
    r"(?:(?:about|around|roughly|some|nearly|almost|more\s+than|over|at\s+least)\s+)?$",
    re.I,
)
# A rate, not a count: "an average of 140 rockets a day", "some 30 sorties per day".
AVERAGE_BEFORE_RE = re.compile(r"\b(?:an\s+)?average\s+(?:of\s+)?(?:about\s+|some\s+|nearly\s+)?$", re.I)
RATE_AFTER_RE = re.compile(
    r"^[\s\w-]{0,40}?(?<!\bon)(?<!\bfor)(?<!\bin)\s+(?:a|per|each|every)\s+(?:day|night|week|month|hour)\b"
    r"(?!\s+(?:after|before|later|earlier|ago|of|when|in|on)\b)",
    re.I,
)
# A clause that starts a new statement about another figure: a time after it is not the count's own.
CLAUSE_BREAK_RE = re.compile(
    r",\s+(?:bringing|taking|raising|pushing|lifting|up\s+from|down\s+from|compared\s+(?:with|to)|against|"
    r"versus|while|whereas|but|which|who|where|according\s+to"
    # an attribution ("..., the general staff said in a statement on Saturday"): when it was said
    r"|(?:[\w’'.-]+\s+){1,5}?(?:said|says|told|added|announced|reported|stated)"
    # a comparison ("..., nearly double the figures for the same period of 2023"): another period's
    r"|(?:(?:nearly|almost|about|roughly|more\s+than|less\s+than)\s+)?(?:double|twice|triple|treble|half)"
    r")\b",
    re.I,
)
# "..., bringing the toll since January to 1,200": the running total ends where the figure before it ends.
BRINGING_RE = re.compile(r"\b(?:bringing|taking|raising|pushing|lifting)\b", re.I)
