"""Countries (ISO 3166-1) and their first-level subdivisions (ISO 3166-2), from ``pycountry``, looked up by name.

Names are compared by a key that ignores case, diacritics, apostrophes, hyphens and spaces, a leading Arabic
article and a final "-ah" ("Al Başrah", "Basra" and "al-Basrah" are one key). ISO 3166-2 spells
subdivisions in their local romanisation ("Nīnawá", "Kharkivska oblast"); where English news spells them
otherwise the small table :data:`ENGLISH_SUBDIVISIONS` gives the English names (the first is shown), and
:data:`CITIES` places a few capitals and major cities of the conflicts the pipeline reads in their
subdivision. Everything is read into dictionaries once (``lru_cache``): a lookup is a few dictionary reads.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import pycountry

logger = logging.getLogger(__name__)

#: Common English names of countries where ISO 3166-1's names differ ("Syrian Arab Republic").
COUNTRY_ALIASES: dict[str, str] = {
    "Syria": "SY", "Iran": "IR", "Russia": "RU", "Palestine": "PS", "Gaza": "PS", "Gaza Strip": "PS",
    "West Bank": "PS", "Palestinian territories": "PS", "South Korea": "KR", "North Korea": "KP", "Turkey": "TR",
    "Britain": "GB", "Great Britain": "GB", "UK": "GB", "U.K.": "GB", "United Kingdom": "GB", "United States": "US",
    "U.S.": "US", "US": "US", "USA": "US", "America": "US", "Burma": "MM", "Ivory Coast": "CI", "Laos": "LA",
    "Vietnam": "VN", "Moldova": "MD", "Tanzania": "TZ", "Venezuela": "VE", "Bolivia": "BO",
    "Democratic Republic of Congo": "CD", "Democratic Republic of the Congo": "CD", "DR Congo": "CD", "DRC": "CD",
    "Congo-Kinshasa": "CD", "Republic of Congo": "CG", "Congo-Brazzaville": "CG", "Czech Republic": "CZ",
    "Macedonia": "MK", "Swaziland": "SZ", "Cape Verde": "CV", "East Timor": "TL", "Vatican": "VA",
}  # fmt: skip

#: English names of ISO 3166-2 subdivisions, "Shown|other spelling|...", where English news spells them
#: otherwise than ISO's romanisation (after diacritics are dropped), for the countries of today's wars.
ENGLISH_SUBDIVISIONS: dict[str, str] = {
    # Afghanistan (ISO names differ only in diacritics for most; these are the other English spellings)
    "AF-PIA": "Paktia|Paktiya|Paktya", "AF-PKA": "Paktika|Paktica", "AF-URU": "Uruzgan|Oruzgan|Urozgan",
    "AF-KNR": "Kunar|Konar", "AF-KDZ": "Kunduz|Konduz|Qunduz", "AF-KHO": "Khost|Khowst", "AF-WAR": "Wardak|Maidan Wardak|Vardak",
    "AF-ZAB": "Zabul|Zabol", "AF-JOW": "Jowzjan|Jawzjan|Jozjan", "AF-KAN": "Kandahar|Qandahar", "AF-NUR": "Nuristan|Nurestan",
    "AF-FYB": "Faryab|Fariab", "AF-PAN": "Panjshir|Panjsher|Panjshayr", "AF-BAM": "Bamyan|Bamiyan", "AF-NIM": "Nimroz|Nimruz",
    "AF-DAY": "Daykundi|Daikundi|Day Kundi", "AF-HEL": "Helmand", "AF-NAN": "Nangarhar|Ningarhar",
    "AF-LOG": "Logar|Lowgar", "AF-GHO": "Ghor|Ghowr", "AF-SAR": "Sar-e Pul|Sari Pul|Sar-i-Pul|Sar-e-Pol",
    "AF-BDS": "Badakhshan|Badakshan", "AF-HER": "Herat|Hirat", "AF-GHA": "Ghazni|Ghazna", "AF-KAP": "Kapisa",
    "AF-BAL": "Balkh", "AF-BGL": "Baghlan", "AF-BDG": "Badghis", "AF-FRA": "Farah", "AF-KAB": "Kabul",
    "AF-LAG": "Laghman", "AF-PAR": "Parwan|Parvan", "AF-SAM": "Samangan", "AF-TAK": "Takhar",
    # Iraq
    "IQ-AN": "Anbar", "IQ-KA": "Karbala", "IQ-SD": "Salahuddin|Salah ad-Din|Salah al-Din|Saladin",
    "IQ-AR": "Erbil|Irbil|Arbil|Hewler", "IQ-KI": "Kirkuk|Tamim", "IQ-SU": "Sulaymaniyah|Sulaimaniya|Suleimaniyah",
    "IQ-BA": "Basra", "IQ-KR": "Kurdistan Region|Iraqi Kurdistan", "IQ-WA": "Wasit", "IQ-BB": "Babil|Babylon",
    "IQ-MA": "Maysan|Missan", "IQ-BG": "Baghdad", "IQ-MU": "Muthanna", "IQ-DA": "Dohuk|Duhok|Dahuk",
    "IQ-NA": "Najaf", "IQ-DI": "Diyala", "IQ-NI": "Nineveh|Ninawa|Ninewa|Nineva", "IQ-DQ": "Dhi Qar|Thi Qar",
    "IQ-QA": "Qadisiyah|Qadisiya|Diwaniyah",
    # Syria
    "SY-DI": "Damascus", "SY-HI": "Homs", "SY-DY": "Deir ez-Zor|Deir al-Zor|Deir ez-Zour|Deir Ezzor|Dayr al-Zawr",
    "SY-HM": "Hama", "SY-LA": "Latakia|Lattakia|Latakiya", "SY-RA": "Raqqa|Rakka", "SY-SU": "Sweida|Suwayda|Suweida",
    "SY-HA": "Hasakah|Hasaka|Hassakeh|Hasakeh", "SY-DR": "Daraa|Deraa|Dara'a", "SY-HL": "Aleppo",
    "SY-ID": "Idlib|Idleb", "SY-QU": "Quneitra|Qunaitra", "SY-RD": "Rif Dimashq|Damascus Countryside|Rural Damascus",
    "SY-TA": "Tartus|Tartous",
    # Yemen
    "YE-HD": "Hadramawt|Hadramout|Hadhramaut|Hadramaut", "YE-HU": "Hodeidah|Hudaydah|Hodeida", "YE-SA": "Sanaa City|Amanat al-Asimah",
    "YE-SD": "Saada|Sa'dah|Sadah", "YE-AD": "Aden", "YE-SH": "Shabwa|Shabwah", "YE-AM": "Amran", "YE-JA": "Jawf|al-Jawf",
    "YE-MR": "Mahra|al-Mahrah", "YE-TA": "Taiz|Ta'izz", "YE-BA": "Bayda|al-Bayda|Baida", "YE-LA": "Lahij|Lahj",
    "YE-SN": "Sanaa|Sana'a", "YE-DA": "Dhale|al-Dhale|Dhalea", "YE-MA": "Marib|Ma'rib", "YE-SU": "Socotra",
    "YE-MW": "Mahwit", "YE-HJ": "Hajjah|Hajja", "YE-DH": "Dhamar", "YE-AB": "Abyan", "YE-IB": "Ibb", "YE-RA": "Raymah",
    # Lebanon, Israel, Libya
    "LB-BH": "Baalbek-Hermel", "LB-AS": "North Lebanon", "LB-JA": "South Lebanon", "LB-NA": "Nabatieh|Nabatiyeh",
    "LB-AK": "Akkar", "LB-JL": "Mount Lebanon", "LB-BA": "Beirut", "LB-BI": "Beqaa|Bekaa",
    "IL-D": "Southern District", "IL-M": "Central District", "IL-Z": "Northern District", "IL-TA": "Tel Aviv District",
    "IL-JM": "Jerusalem District", "IL-HA": "Haifa District",
    "LY-BA": "Benghazi", "LY-SR": "Sirte", "LY-TB": "Tripoli", "LY-DR": "Derna", "LY-MI": "Misrata|Misurata", "LY-JU": "Jufra",
    "LY-KF": "Kufra", "LY-SB": "Sabha|Sebha", "LY-MQ": "Murzuq", "LY-NL": "Nalut", "LY-ZA": "Zawiya",
    # Somalia
    "SO-BN": "Banadir|Benadir", "SO-JD": "Middle Juba", "SO-JH": "Lower Juba", "SO-SH": "Lower Shabelle",
    "SO-SD": "Middle Shabelle", "SO-HI": "Hiran|Hiraan|Hiiraan", "SO-GA": "Galgadud|Galguduud", "SO-BK": "Bakool|Bakol",
    "SO-WO": "Woqooyi Galbeed|Maroodi Jeex", "SO-NU": "Nugaal|Nugal",
    # Ukraine (ISO: "Kharkivska oblast")
    "UA-18": "Zhytomyr", "UA-43": "Crimea", "UA-63": "Kharkiv|Kharkov", "UA-21": "Zakarpattia|Transcarpathia", "UA-46": "Lviv",
    "UA-65": "Kherson", "UA-23": "Zaporizhzhia|Zaporizhia|Zaporozhye", "UA-48": "Mykolaiv|Nikolaev", "UA-68": "Khmelnytskyi",
    "UA-05": "Vinnytsia", "UA-26": "Ivano-Frankivsk", "UA-51": "Odesa|Odessa", "UA-71": "Cherkasy", "UA-07": "Volyn",
    "UA-30": "Kyiv|Kiev", "UA-53": "Poltava", "UA-74": "Chernihiv", "UA-09": "Luhansk|Lugansk", "UA-56": "Rivne",
    "UA-77": "Chernivtsi", "UA-12": "Dnipropetrovsk|Dnipro", "UA-35": "Kirovohrad|Kropyvnytskyi", "UA-59": "Sumy",
    "UA-14": "Donetsk", "UA-61": "Ternopil", "UA-40": "Sevastopol",
    # Russia (ISO: "Belgorodskaya oblast'"), the regions in the news of its wars
    "RU-BEL": "Belgorod", "RU-KRS": "Kursk", "RU-BRY": "Bryansk", "RU-ROS": "Rostov", "RU-VOR": "Voronezh",
    "RU-KDA": "Krasnodar", "RU-MOS": "Moscow Oblast|Moscow region", "RU-MOW": "Moscow", "RU-CE": "Chechnya",
    "RU-DA": "Dagestan", "RU-IN": "Ingushetia", "RU-SPE": "Saint Petersburg|St Petersburg", "RU-SMO": "Smolensk",
    "RU-KLU": "Kaluga", "RU-ORL": "Oryol|Orel", "RU-TUL": "Tula", "RU-LIP": "Lipetsk", "RU-SAR": "Saratov",
    "RU-VGG": "Volgograd", "RU-AST": "Astrakhan", "RU-NIZ": "Nizhny Novgorod", "RU-TA": "Tatarstan",
    # elsewhere
    "ET-AM": "Amhara", "ET-TI": "Tigray", "PK-BA": "Balochistan|Baluchistan", "PK-KP": "Khyber Pakhtunkhwa",
    "ML-6": "Timbuktu|Tombouctou", "ML-9": "Menaka", "SD-GD": "Gedaref|Al Qadarif", "SD-GZ": "Gezira|Al Jazirah",
}  # fmt: skip

#: A few capitals and major cities of the conflicts the pipeline reads: "Name|other spelling" -> the
#: ISO 3166-2 subdivision they lie in (a city named alone gives its province and country).
CITIES: dict[str, str] = {
    "Kabul": "AF-KAB", "Kandahar": "AF-KAN", "Herat": "AF-HER", "Mazar-i-Sharif|Mazar-e Sharif|Mazar-e-Sharif": "AF-BAL",
    "Jalalabad": "AF-NAN", "Lashkar Gah|Lashkargah": "AF-HEL", "Kunduz": "AF-KDZ", "Ghazni": "AF-GHA",
    "Khost": "AF-KHO", "Tarin Kowt|Tarinkot": "AF-URU", "Qalat": "AF-ZAB", "Bagram": "AF-PAR", "Charikar": "AF-PAR",
    "Baghdad": "IQ-BG", "Mosul": "IQ-NI", "Tal Afar|Tall Afar": "IQ-NI", "Basra": "IQ-BA", "Kirkuk": "IQ-KI",
    "Erbil|Irbil|Arbil": "IQ-AR", "Fallujah|Falluja": "IQ-AN", "Ramadi": "IQ-AN", "Tikrit": "IQ-SD",
    "Samarra": "IQ-SD", "Bayji|Baiji": "IQ-SD", "Baqubah|Baquba": "IQ-DI", "Najaf": "IQ-NA", "Karbala": "IQ-KA",
    "Sulaymaniyah": "IQ-SU", "Sinjar": "IQ-NI", "Haditha": "IQ-AN", "Qaim|Al Qaim|al-Qaim": "IQ-AN",
    "Damascus": "SY-DI", "Aleppo": "SY-HL", "Homs": "SY-HI", "Hama": "SY-HM", "Idlib": "SY-ID", "Latakia": "SY-LA",
    "Raqqa": "SY-RA", "Tabqa": "SY-RA", "Deir ez-Zor|Deir al-Zor": "SY-DY", "Abu Kamal|Albu Kamal|Bukamal": "SY-DY",
    "Mayadin|al-Mayadin": "SY-DY", "Palmyra|Tadmur": "SY-HI", "Kobani|Kobane|Ayn al-Arab": "SY-HL", "Manbij": "SY-HL",
    "Hasakah|Hasaka": "SY-HA", "Qamishli": "SY-HA", "Daraa": "SY-DR", "Tartus": "SY-TA",
    "Sanaa|Sana'a": "YE-SA", "Aden": "YE-AD", "Hodeidah|Hudaydah": "YE-HU", "Taiz": "YE-TA", "Marib": "YE-MA",
    "Saada": "YE-SD", "Mukalla": "YE-HD",
    "Mogadishu": "SO-BN", "Kismayo|Kismayu": "SO-JH", "Baidoa": "SO-BY", "Beledweyne|Beled Weyne": "SO-HI",
    "Jilib": "SO-JD", "Bosaso": "SO-BR", "Galkayo": "SO-MU", "Hargeisa": "SO-WO",
    "Gaza City": "PS-GZA", "Khan Younis|Khan Yunis": "PS-KYS", "Rafah": "PS-RFH", "Deir al-Balah|Deir el-Balah": "PS-DEB",
    "Jabalia|Jabaliya": "PS-NGZ", "Beit Hanoun": "PS-NGZ", "Jenin": "PS-JEN", "Nablus": "PS-NBS", "Ramallah": "PS-RBH",
    "Hebron": "PS-HBN", "Tulkarm": "PS-TKM",
    "Tel Aviv": "IL-TA", "Haifa": "IL-HA", "Sderot": "IL-D", "Ashkelon": "IL-D", "Beersheba|Beer Sheva": "IL-D",
    "Eilat": "IL-D", "Ashdod": "IL-D", "Kiryat Shmona": "IL-Z", "Nahariya": "IL-Z",
    "Beirut": "LB-BA", "Tyre": "LB-JA", "Sidon": "LB-JA", "Nabatieh": "LB-NA", "Baalbek": "LB-BH",
    "Tripoli": "LY-TB", "Benghazi": "LY-BA", "Sirte": "LY-SR", "Misrata": "LY-MI", "Derna": "LY-DR",
    "Kyiv|Kiev": "UA-30", "Kharkiv|Kharkov": "UA-63", "Odesa|Odessa": "UA-51", "Dnipro": "UA-12",
    "Zaporizhzhia|Zaporizhia": "UA-23", "Kherson": "UA-65", "Mykolaiv": "UA-48", "Lviv": "UA-46",
    "Donetsk": "UA-14", "Mariupol": "UA-14", "Bakhmut": "UA-14", "Avdiivka": "UA-14", "Kramatorsk": "UA-14",
    "Sloviansk": "UA-14", "Pokrovsk": "UA-14", "Luhansk": "UA-09", "Sievierodonetsk|Severodonetsk": "UA-09",
    "Sumy": "UA-59", "Chernihiv": "UA-74", "Poltava": "UA-53", "Izium|Izyum": "UA-63", "Kupiansk": "UA-63",
    "Sevastopol": "UA-40", "Simferopol": "UA-43",
    "Moscow": "RU-MOW", "Belgorod": "RU-BEL", "Kursk": "RU-KRS", "Bryansk": "RU-BRY", "Rostov-on-Don": "RU-ROS",
    "Khartoum": "SD-KH", "Omdurman": "SD-KH", "El Fasher|al-Fashir": "SD-DN", "Nyala": "SD-DS", "El Geneina|Geneina": "SD-DW",
    "Port Sudan": "SD-RS", "Juba": "SS-EC", "Bamako": "ML-BKO", "Gao": "ML-7", "Timbuktu": "ML-6", "Kidal": "ML-8",
    "Maiduguri": "NG-BO", "Abuja": "NG-FC", "Mekelle": "ET-TI", "Addis Ababa": "ET-AA", "Bahir Dar": "ET-AM",
    "Peshawar": "PK-KP", "Quetta": "PK-BA", "Islamabad": "PK-IS", "Karachi": "PK-SD", "Lahore": "PK-PB",
    "Tehran": "IR-23", "Isfahan": "IR-10", "Yangon|Rangoon": "MM-06", "Mandalay": "MM-04", "Naypyidaw|Nay Pyi Taw": "MM-18",
}  # fmt: skip

#: Regions, seas and continents: places that lie in no one country ("the Red Sea" is not Sudan's state).
REGIONS = frozenset(
    [
        "Europe", "Asia", "Africa", "Middle East", "Near East", "Gulf", "Persian Gulf", "Arabian Gulf", "Red Sea",
        "Mediterranean", "Black Sea", "Caspian Sea", "Baltic", "Caucasus", "Balkans", "Sahel", "Horn of Africa",
        "Levant", "Arabian Peninsula", "Central Asia", "South Asia", "Southeast Asia", "East Asia", "Pacific",
        "Atlantic", "Indian Ocean", "Arabian Sea", "Gulf of Aden", "Bab el-Mandeb", "Strait of Hormuz",
        "Latin America", "North America", "South America", "West Africa", "East Africa", "North Africa",
        "Eastern Europe", "Western Europe", "Scandinavia", "Donbas", "Donbass", "Kurdistan", "Sinai", "Golan Heights",
    ]
)  # fmt: skip
#: Words ISO 3166-2 names carry for the kind of unit ("Qinghai Sheng", "Kurskaya oblast'"), left out of a key.
ISO_UNIT_WORDS = frozenset(
    {"sheng", "zizhiqu", "shi", "oblast", "kray", "respublika", "province", "governorate", "region", "state",
     "prefecture", "department", "county", "municipality", "autonomous", "district"}
)  # fmt: skip
_ARTICLES = frozenset({"al", "el", "an", "ar", "as", "ash", "ad", "adh", "at", "az", "ath"})
_APOSTROPHES_RE = re.compile(r"[’'‘`ʻʼʿʾ]")
_BRACKETS_RE = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Subdivision:
    """A first-level subdivision: its ISO 3166-2 code, the name shown, and its country (ISO 3166-1 alpha-2)."""

    code: str
    name: str
    country: str


def plain(name: str) -> str:
    """``name`` without diacritics ("Fāryāb" -> "Faryab")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(name: str) -> str:
    """The key names are compared by: "al-Basrah", "Al Başrah" and "Basra" -> "basra"."""
    words = _WORD_RE.findall(_APOSTROPHES_RE.sub("", plain(_BRACKETS_RE.sub(" ", name)).lower()))
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    key = "".join(words)
    return key[:-1] if key.endswith("ah") and len(key) > 4 else key


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                out.setdefault(name_key(value), c.alpha_2)
    for alias, code in COUNTRY_ALIASES.items():
        out[name_key(alias)] = code
    logger.debug("gazetteer: %d country names", len(out))
    return out


@functools.lru_cache(maxsize=1)
def _subdivisions() -> tuple[dict[str, Subdivision], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(code -> first-level subdivision, every ISO name key -> codes, English and city key -> codes).

    A lower-level subdivision's name leads to the first-level one it lies in ("Barcelona" -> Catalonia)."""
    records = {s.code: s for s in pycountry.subdivisions}

    def top(code: str) -> str:
        seen = (
            0  # a governorate is a first-level unit even where ISO groups some ("Erbil" in Kurdistan Region)
        )
        while records[code].parent_code and records[code].type != "Governorate" and seen < 5:
            code = records[code].parent_code
            seen += 1
        return code

    def shown(code: str) -> str:
        english = ENGLISH_SUBDIVISIONS.get(code)
        if english:
            return english.split("|", 1)[0]
        words = plain(_BRACKETS_RE.sub(" ", records[code].name)).split()
        while len(words) > 1 and _APOSTROPHES_RE.sub("", words[-1]).lower() in ISO_UNIT_WORDS:
            words.pop()  # "Qinghai Sheng" -> "Qinghai"
        return " ".join(words)

    first: dict[str, Subdivision] = {}
    iso: dict[str, list[str]] = {}
    for s in records.values():
        code = top(s.code)
        if code not in first:
            first[code] = Subdivision(code, shown(code), records[code].country_code)
        _add(iso, name_key(s.name), code)
        words = _WORD_RE.findall(plain(_BRACKETS_RE.sub(" ", s.name)).lower())
        bare = [w for w in words if w not in ISO_UNIT_WORDS]
        if bare and len(bare) < len(words):  # "Qinghai Sheng" is also "Qinghai"
            _add(iso, name_key(" ".join(bare)), code)
    known: dict[str, list[str]] = {}
    for code, names in ENGLISH_SUBDIVISIONS.items():
        if code in records:
            for name in names.split("|"):
                _add(known, name_key(name), top(code))
    for names, code in CITIES.items():
        if code in records:
            for name in names.split("|"):
                _add(known, name_key(name), top(code))
    logger.debug("gazetteer: %d subdivisions, %d names", len(first), len(iso) + len(known))
    return first, _frozen(iso), _frozen(known)


@functools.lru_cache(maxsize=1)
def _own_names() -> frozenset[tuple[str, str, str]]:
    """(name key, shown name, country) of each first-level subdivision's own names: ISO's and the English
    spellings, not the towns in it."""
    first = _subdivisions()[0]
    out: set[tuple[str, str, str]] = set()
    for s in pycountry.subdivisions:
        sub = first.get(s.code)
        if sub is None or sub.code != s.code:
            continue
        names = [s.name, sub.name, *ENGLISH_SUBDIVISIONS.get(s.code, "").split("|")]
        words = [
            w
            for w in _WORD_RE.findall(plain(_BRACKETS_RE.sub(" ", s.name)).lower())
            if w not in ISO_UNIT_WORDS
        ]
        for key in {name_key(n) for n in names if n} | {name_key(" ".join(words))}:
            if key:
                out.add((key, sub.name, sub.country))
    return frozenset(out)


def names_subdivision(name: str, admin1: str | None, country: str | None) -> bool:
    """Whether ``name`` is the subdivision's own name ("Kandahar", "Paktiya" for Paktia), not a town in it
    ("Mosul" is not Nineveh)."""
    return admin1 is not None and country is not None and (name_key(name), admin1, country) in _own_names()


def _add(index: dict[str, list[str]], key: str, code: str) -> None:
    if key and code not in index.setdefault(key, []):
        index[key].append(code)


def _frozen(index: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in index.items()}


@functools.lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    return frozenset(name_key(r) for r in REGIONS)


def is_region(name: str) -> bool:
    """Whether ``name`` is a region, sea or continent that lies in no one country ("Europe", "the Red Sea")."""
    words = name.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    return name_key(" ".join(words)) in _regions()


def country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 of a country's name ("Syria" -> "SY", "Afghanistan" -> "AF"), else ``None``."""
    return _countries().get(name_key(name))


def subdivision(code: str) -> Subdivision | None:
    """The first-level subdivision of an ISO 3166-2 code."""
    return _subdivisions()[0].get(code)


def _choose(codes: Iterable[str], countries: Collection[str]) -> Subdivision | None:
    """The one subdivision of ``codes``, preferring those in ``countries``; ``None`` when it stays ambiguous."""
    first = _subdivisions()[0]
    found = [first[c] for c in codes if c in first]
    if countries:
        found = [s for s in found if s.country in countries] or found
    names = {(s.name, s.country) for s in found}
    return found[0] if len(names) == 1 else None


def find_subdivision(
    name: str, countries: Collection[str] = (), *, stated: bool = False
) -> Subdivision | None:
    """The first-level subdivision a place name lies in.

    English spellings and known cities are found anywhere ("Mosul" -> Nineveh, IQ); other ISO 3166-2 names
    only in ``countries`` (those the page names), or anywhere when the text ``stated`` it as a subdivision
    ("Borno State", "Kunduz province"): a bare name may be a word ("Delta", "Plateau") or a place elsewhere.
    """
    key = name_key(name)
    if not key:
        return None
    _first, iso, known = _subdivisions()
    got = _choose(known.get(key, ()), countries)
    if got is not None:
        return got
    codes = iso.get(key, ())
    if not stated:
        codes = tuple(c for c in codes if c.split("-", 1)[0] in countries)
    return _choose(codes, countries)
