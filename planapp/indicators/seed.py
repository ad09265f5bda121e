"""The starter catalog: the nation (for reference values), East Azerbaijan and its counties, ISIC sections and a
catalog of indicators a provincial planner uses. Idempotent: codes already present are left as the admin made them.
"""

from __future__ import annotations

import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import (
    TOTAL_SECTOR,
    Category,
    Direction,
    Frequency,
    Indicator,
    Region,
    RegionKind,
    Sector,
)

COUNTRY = ("IR", "ایران", "Iran")
PROVINCE = ("EA", "استان آذربایجان شرقی", "East Azerbaijan Province")
COUNTIES = (  # code, Persian, English
    ("EA-TABRIZ", "تبریز", "Tabriz"), ("EA-AHAR", "اهر", "Ahar"), ("EA-AJABSHIR", "عجب‌شیر", "Ajabshir"),
    ("EA-AZARSHAHR", "آذرشهر", "Azarshahr"), ("EA-BONAB", "بناب", "Bonab"),
    ("EA-BOSTANABAD", "بستان‌آباد", "Bostanabad"), ("EA-CHARUYMAQ", "چاراویماق", "Charuymaq"),
    ("EA-HASHTRUD", "هشترود", "Hashtrud"), ("EA-HERIS", "هریس", "Heris"), ("EA-HURAND", "هوراند", "Hurand"),
    ("EA-JOLFA", "جلفا", "Jolfa"), ("EA-KALEYBAR", "کلیبر", "Kaleybar"),
    ("EA-KHODAAFARIN", "خداآفرین", "Khoda Afarin"), ("EA-MALEKAN", "ملکان", "Malekan"),
    ("EA-MARAGHEH", "مراغه", "Maragheh"), ("EA-MARAND", "مرند", "Marand"), ("EA-MIANEH", "میانه", "Mianeh"),
    ("EA-OSKU", "اسکو", "Osku"), ("EA-SARAB", "سراب", "Sarab"), ("EA-SHABESTAR", "شبستر", "Shabestar"),
    ("EA-VARZAQAN", "ورزقان", "Varzaqan"),
)
SECTORS = (  # ISIC Rev. 4 sections
    (TOTAL_SECTOR, "همهٔ بخش‌ها (کل)", "All sectors (total)"),
    ("A", "کشاورزی، جنگلداری و ماهیگیری", "Agriculture, forestry and fishing"),
    ("B", "استخراج معدن", "Mining and quarrying"),
    ("C", "صنعت (ساخت)", "Manufacturing"),
    ("D", "تأمین برق، گاز، بخار و تهویهٔ هوا", "Electricity, gas, steam and air conditioning supply"),
    ("E", "آبرسانی، مدیریت پسماند و فاضلاب", "Water supply; sewerage and waste management"),
    ("F", "ساختمان", "Construction"),
    ("G", "عمده‌فروشی و خرده‌فروشی؛ تعمیر وسایل نقلیه", "Wholesale and retail trade; repair of motor vehicles"),
    ("H", "حمل و نقل و انبارداری", "Transportation and storage"),
    ("I", "تأمین جا و غذا", "Accommodation and food service activities"),
    ("J", "اطلاعات و ارتباطات", "Information and communication"),
    ("K", "فعالیت‌های مالی و بیمه", "Financial and insurance activities"),
    ("L", "املاک و مستغلات", "Real estate activities"),
    ("M", "فعالیت‌های حرفه‌ای، علمی و فنی", "Professional, scientific and technical activities"),
    ("N", "فعالیت‌های اداری و خدمات پشتیبانی", "Administrative and support service activities"),
    ("O", "ادارهٔ امور عمومی و دفاع؛ تأمین اجتماعی اجباری", "Public administration and defence"),
    ("P", "آموزش", "Education"),
    ("Q", "سلامت انسان و مددکاری اجتماعی", "Human health and social work activities"),
    ("R", "هنر، سرگرمی و تفریح", "Arts, entertainment and recreation"),
    ("S", "سایر فعالیت‌های خدماتی", "Other service activities"),
    ("T", "فعالیت‌های خانوار به‌عنوان کارفرما", "Activities of households as employers"),
    ("U", "سازمان‌ها و هیئت‌های برون‌مرزی", "Activities of extraterritorial organizations"),
)

E, S, C, V, INF = (Category.ECONOMIC, Category.SOCIAL, Category.CULTURAL, Category.ENVIRONMENTAL,
                 Category.INFRASTRUCTURE)
UP, DOWN, FLAT = Direction.HIGHER_BETTER, Direction.LOWER_BETTER, Direction.NEUTRAL
YEARLY, CENSUS = Frequency.ANNUAL, Frequency.CENSUS
# code, Persian name, English name, category, unit (fa), unit (en), frequency, direction, by sector
INDICATORS = (
    ("GDP", "تولید ناخالص داخلی استان", "Provincial GDP", E, "میلیارد ریال", "billion rials", YEARLY, UP, False),
    ("GDP_PC", "تولید ناخالص داخلی سرانه", "GDP per capita", E, "میلیون ریال", "million rials", YEARLY, UP, False),
    ("VA", "ارزش افزوده به تفکیک بخش", "Value added by sector", E, "میلیارد ریال", "billion rials", YEARLY, UP, True),
    ("EMP", "شاغلان به تفکیک بخش", "Employment by sector", E, "نفر", "persons", YEARLY, UP, True),
    ("UNEMP", "نرخ بیکاری", "Unemployment rate", E, "درصد", "%", YEARLY, DOWN, False),
    ("YOUTH_UNEMP", "نرخ بیکاری جوانان ۱۵ تا ۲۴ ساله", "Youth unemployment rate (15-24)", E, "درصد", "%", YEARLY,
     DOWN, False),
    ("LFPR", "نرخ مشارکت اقتصادی", "Labour force participation rate", E, "درصد", "%", YEARLY, UP, False),
    ("EXPORTS", "صادرات غیرنفتی", "Non-oil exports", E, "میلیون دلار", "million USD", YEARLY, UP, False),
    ("IMPORTS", "واردات", "Imports", E, "میلیون دلار", "million USD", YEARLY, FLAT, False),
    ("GFCF", "تشکیل سرمایهٔ ثابت ناخالص", "Gross fixed capital formation", E, "میلیارد ریال", "billion rials",
     YEARLY, UP, False),
    ("INFLATION", "نرخ تورم", "Inflation rate", E, "درصد", "%", YEARLY, DOWN, False),
    ("FIRMS", "واحدهای صنعتی دارای پروانهٔ بهره‌برداری", "Licensed industrial establishments", E, "واحد", "units",
     YEARLY, UP, False),
    ("DEPOSITS", "سپرده‌های بانکی", "Bank deposits", E, "میلیارد ریال", "billion rials", YEARLY, UP, False),
    ("LOANS", "تسهیلات بانکی پرداختی", "Bank loans granted", E, "میلیارد ریال", "billion rials", YEARLY, UP, False),
    ("TAX", "درآمدهای مالیاتی", "Tax revenue", E, "میلیارد ریال", "billion rials", YEARLY, UP, False),
    ("AGRI_PROD", "تولید محصولات زراعی و باغی", "Crop and orchard production", E, "هزار تن", "thousand tonnes",
     YEARLY, UP, False),
    ("POP", "جمعیت", "Population", S, "نفر", "persons", CENSUS, FLAT, False),
    ("POP_GROWTH", "نرخ رشد سالانهٔ جمعیت", "Annual population growth rate", S, "درصد", "%", CENSUS, FLAT, False),
    ("URBAN", "نسبت شهرنشینی", "Urbanisation rate", S, "درصد", "%", CENSUS, FLAT, False),
    ("HH_SIZE", "بعد خانوار", "Household size", S, "نفر", "persons", CENSUS, FLAT, False),
    ("LITERACY", "نرخ باسوادی", "Literacy rate", S, "درصد", "%", CENSUS, UP, False),
    ("DOCTORS", "پزشک به ازای هر ده هزار نفر", "Doctors per 10,000 people", S, "نفر", "persons", YEARLY, UP, False),
    ("BEDS", "تخت بیمارستانی به ازای هر ده هزار نفر", "Hospital beds per 10,000 people", S, "تخت", "beds",
     YEARLY, UP, False),
    ("INFANT_MORT", "نرخ مرگ‌ومیر کودکان زیر یک سال", "Infant mortality rate", S, "در هزار تولد زنده",
     "per 1,000 live births", YEARLY, DOWN, False),
    ("LIFE_EXP", "امید به زندگی در بدو تولد", "Life expectancy at birth", S, "سال", "years", YEARLY, UP, False),
    ("PUPILS_TEACHER", "نسبت دانش‌آموز به معلم", "Pupils per teacher", S, "نفر", "persons", YEARLY, DOWN, False),
    ("UNIV_STUDENTS", "دانشجو به ازای هر ده هزار نفر", "University students per 10,000 people", S, "نفر",
     "persons", YEARLY, UP, False),
    ("POVERTY", "سهم جمعیت زیر خط فقر", "Share of population below the poverty line", S, "درصد", "%", YEARLY,
     DOWN, False),
    ("GINI", "ضریب جینی", "Gini coefficient", S, "ضریب", "index", YEARLY, DOWN, False),
    ("INSURED", "پوشش بیمهٔ درمانی", "Health insurance coverage", S, "درصد", "%", YEARLY, UP, False),
    ("TOURISTS", "ورود گردشگران", "Tourist arrivals", C, "نفر", "persons", YEARLY, UP, False),
    ("FOREIGN_TOURISTS", "ورود گردشگران خارجی", "Foreign tourist arrivals", C, "نفر", "persons", YEARLY, UP,
     False),
    ("HERITAGE", "آثار ثبت‌شده در فهرست آثار ملی", "Sites on the national heritage list", C, "اثر", "sites",
     YEARLY, UP, False),
    ("LIBRARIES", "کتابخانهٔ عمومی به ازای هر صد هزار نفر", "Public libraries per 100,000 people", C, "کتابخانه",
     "libraries", YEARLY, UP, False),
    ("CINEMA_SEATS", "صندلی سینما به ازای هر ده هزار نفر", "Cinema seats per 10,000 people", C, "صندلی", "seats",
     YEARLY, UP, False),
    ("SPORT_SPACE", "سرانهٔ فضای ورزشی", "Sports space per person", C, "متر مربع", "m²", YEARLY, UP, False),
    ("HOTEL_BEDS", "تخت اقامتگاه‌های گردشگری", "Tourist accommodation beds", C, "تخت", "beds", YEARLY, UP,
     False),
    ("WATER_USE", "مصرف آب", "Water consumption", V, "میلیون متر مکعب", "million m³", YEARLY, DOWN, False),
    ("WATER_AGRI", "سهم کشاورزی از مصرف آب", "Agriculture's share of water use", V, "درصد", "%", YEARLY, DOWN,
     False),
    ("GROUNDWATER", "افت سالانهٔ سطح آب زیرزمینی", "Annual groundwater level decline", V, "سانتی‌متر", "cm",
     YEARLY, DOWN, False),
    ("FOREST", "مساحت جنگل‌ها", "Forest area", V, "هکتار", "hectares", YEARLY, UP, False),
    ("POLLUTED_DAYS", "روزهای ناسالم هوا", "Days of unhealthy air", V, "روز", "days", YEARLY, DOWN, False),
    ("WASTE", "تولید سرانهٔ پسماند شهری", "Municipal waste per person", V, "کیلوگرم در روز", "kg per day", YEARLY,
     DOWN, False),
    ("RAINFALL", "بارندگی سالانه", "Annual rainfall", V, "میلی‌متر", "mm", YEARLY, FLAT, False),
    ("PROTECTED", "سهم مناطق حفاظت‌شده از مساحت", "Protected areas' share of land", V, "درصد", "%", YEARLY, UP,
     False),
    ("ROAD_DENSITY", "تراکم راه", "Road density", INF, "کیلومتر در صد کیلومتر مربع", "km per 100 km²", YEARLY, UP,
     False),
    ("RAIL", "طول خطوط ریلی", "Railway length", INF, "کیلومتر", "km", YEARLY, UP, False),
    ("INTERNET", "ضریب نفوذ اینترنت", "Internet penetration", INF, "درصد", "%", YEARLY, UP, False),
    ("ELECTRICITY", "مصرف برق", "Electricity consumption", INF, "گیگاوات ساعت", "GWh", YEARLY, FLAT, False),
    ("RURAL_GAS", "برخورداری روستاها از گاز", "Villages with piped gas", INF, "درصد", "%", YEARLY, UP, False),
    ("HOUSING", "واحدهای مسکونی تکمیل‌شده", "Housing units completed", INF, "واحد", "units", YEARLY, UP, False),
    ("ROAD_DEATHS", "کشته‌شدگان تصادفات به ازای هر صد هزار نفر", "Road deaths per 100,000 people", INF, "نفر",
     "persons", YEARLY, DOWN, False),
    ("AIR_PASSENGERS", "مسافران فرودگاه‌ها", "Airport passengers", INF, "نفر", "persons", YEARLY, UP, False),
)


def _existing(model, codes) -> set[str]:
    return set(db.session.scalars(sa.select(model.code).where(model.code.in_(list(codes)))))


def seed_regions() -> int:
    present = _existing(Region, [COUNTRY[0], PROVINCE[0], *(c[0] for c in COUNTIES)])
    added = 0
    if COUNTRY[0] not in present:
        db.session.add(Region(code=COUNTRY[0], name=COUNTRY[1], name_en=COUNTRY[2], kind=RegionKind.COUNTRY))
        added += 1
    db.session.flush()
    country = db.session.scalar(sa.select(Region).where(Region.code == COUNTRY[0]))
    if PROVINCE[0] not in present:
        db.session.add(Region(code=PROVINCE[0], name=PROVINCE[1], name_en=PROVINCE[2], kind=RegionKind.PROVINCE,
                              parent_id=country.id))
        added += 1
    db.session.flush()
    province = db.session.scalar(sa.select(Region).where(Region.code == PROVINCE[0]))
    for code, name, name_en in COUNTIES:
        if code not in present:
            db.session.add(Region(code=code, name=name, name_en=name_en, kind=RegionKind.COUNTY,
                                  parent_id=province.id))
            added += 1
    db.session.flush()
    return added


def seed_sectors() -> int:
    present = _existing(Sector, [code for code, *_ in SECTORS])
    rows = [Sector(code=code, name=name, name_en=name_en) for code, name, name_en in SECTORS if code not in present]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def seed_indicators() -> int:
    present = _existing(Indicator, [row[0] for row in INDICATORS])
    rows = [Indicator(code=code, name=name, name_en=name_en, category=category, unit=unit, unit_en=unit_en,
                      frequency=frequency, direction=direction, by_sector=by_sector)
            for code, name, name_en, category, unit, unit_en, frequency, direction, by_sector in INDICATORS
            if code not in present]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def seed_catalog() -> int:
    """Everything above; returns how many rows were added (0 when run again)."""
    return seed_regions() + seed_sectors() + seed_indicators()
