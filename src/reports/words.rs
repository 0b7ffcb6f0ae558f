//! The words of the report in Danish and English, and numbers written the way each reader expects.
//!
//! Every catalogue enum is matched exhaustively, so a new kind fails to compile here until it has
//! a name in both languages.

use chrono::Datelike;
use chrono_tz::Europe::Copenhagen;
use impact_events::{
    AgreementKind, EmploymentType, EnterpriseKind, EventType, Metric, Per, RecordedAt, TrendKind,
    TrialKind,
};
use impact_projections::{Actual, TargetStatus};

/// The language of a report's labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Lang {
    /// Danish, the committee's language.
    #[default]
    Da,
    /// English.
    En,
}

impl Lang {
    /// The same language for the rules' messages (`impact_events::Violation::render`).
    pub fn language(self) -> impact_events::Language {
        match self {
            Lang::Da => impact_events::Language::Danish,
            Lang::En => impact_events::Language::English,
        }
    }

    /// Parses `da` or `en`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    /// Picks the Danish or the English word.
    pub fn pick<'a>(self, danish: &'a str, english: &'a str) -> &'a str {
        match self {
            Lang::Da => danish,
            Lang::En => english,
        }
    }
}

pub fn employment_type(lang: Lang, employment_type: EmploymentType) -> &'static str {
    match employment_type {
        EmploymentType::Ordinary => lang.pick("ordinær beskæftigelse", "ordinary employment"),
        EmploymentType::Flexjob => lang.pick("fleksjob", "flexjob"),
        EmploymentType::WageSubsidy => lang.pick("løntilskud", "wage subsidy"),
        EmploymentType::Sheltered => lang.pick("skånejob", "sheltered job"),
        EmploymentType::Education => lang.pick("uddannelse", "education"),
        EmploymentType::Other => lang.pick("andet", "other"),
    }
}

pub fn enterprise_kind(lang: Lang, kind: EnterpriseKind) -> &'static str {
    match kind {
        EnterpriseKind::Enterprise => lang.pick("virksomheder", "enterprises"),
        EnterpriseKind::Initiative => lang.pick("initiativer", "initiatives"),
    }
}

pub fn agreement_kind(lang: Lang, kind: AgreementKind) -> &'static str {
    match kind {
        AgreementKind::Partnership => lang.pick("samarbejdsaftaler", "partnership agreements"),
        AgreementKind::CivilSociety => lang.pick("civilsamfund", "civil society"),
        AgreementKind::Volunteering => lang.pick("frivillighed", "volunteering"),
    }
}

pub fn trial_kind(lang: Lang, kind: TrialKind) -> &'static str {
    match kind {
        TrialKind::InternalTrial => lang.pick("interne forsøg", "internal trials"),
        TrialKind::TrialAction => lang.pick("prøvehandlinger", "trial actions"),
    }
}

pub fn trend_kind(lang: Lang, kind: TrendKind) -> &'static str {
    match kind {
        TrendKind::Trend => lang.pick("trends", "trends"),
        TrendKind::Offer => lang.pick("tilbud", "offers"),
    }
}

pub fn metric(lang: Lang, metric: Metric) -> &'static str {
    match metric {
        Metric::PeopleEmployed => lang.pick("personer i beskæftigelse", "people employed"),
        Metric::EnterprisesActive => lang.pick(
            "aktive socialøkonomiske virksomheder og initiativer",
            "active social-economic enterprises and initiatives",
        ),
        Metric::RetentionSixMonthsPct => lang.pick(
            "fastholdelse efter 6 måneder (%)",
            "retention after 6 months (%)",
        ),
        Metric::GrantsTotalOre => lang.pick("bevillinger i alt (øre)", "grants in total (øre)"),
        Metric::AgreementsActive => lang.pick("aktive aftaler", "active agreements"),
        Metric::TrialsStarted => lang.pick("startede afprøvninger", "trials started"),
    }
}

/// A target's figure as a reader reads it: a count, or a per cent with one decimal.
pub fn figure(lang: Lang, actual: Actual) -> String {
    let numbers = NumberStyle::of(lang);
    match actual {
        Actual::Count(count) => numbers.integer(count.into()),
        Actual::Tenths(_) => format!("{}\u{a0}%", numbers.one_decimal(actual.to_f64())),
    }
}

/// The committee's question, "can the target be reached in the period?", answered for one
/// target in a sentence: yes or no by the forecast for the period's last year, with the
/// yearly figures the forecast is drawn through.
pub fn reachable(lang: Lang, target: &TargetStatus) -> String {
    let numbers = NumberStyle::of(lang);
    let percent = target.metric == Metric::RetentionSixMonthsPct;
    let value = |value: f64| {
        if percent {
            format!("{}\u{a0}%", numbers.one_decimal(value))
        } else {
            numbers.forecast(value)
        }
    };
    let goal = value(target.target as f64);
    let Some(outlook) = &target.outlook else {
        return lang
            .pick("Kan ikke vurderes.", "Cannot be judged.")
            .to_owned();
    };
    let points: Vec<String> = outlook
        .basis
        .points
        .iter()
        .map(|point| format!("{}: {}", point.year, figure(lang, point.value)))
        .collect();
    let basis = points.join("; ");
    let year = outlook.basis.forecast_year;
    match (outlook.forecast, outlook.on_track) {
        (Some(forecast), Some(on_track)) => {
            let (answer_da, answer_en) = if on_track {
                ("Ja, hvis udviklingen fortsætter", "Yes, if the trend holds")
            } else {
                (
                    "Nej, ikke med den nuværende udvikling",
                    "No, not on the present trend",
                )
            };
            let forecast = value(forecast);
            match lang {
                Lang::Da => format!(
                    "{answer_da}: prognosen for {year} er {forecast} mod målet {goal} \
                     (lineær tendens gennem årenes tal, {basis})."
                ),
                Lang::En => format!(
                    "{answer_en}: the forecast for {year} is {forecast} against the target {goal} \
                     (a linear trend through the yearly figures, {basis})."
                ),
            }
        }
        _ => {
            let so_far = if points.is_empty() {
                lang.pick("ingen endnu", "none yet").to_owned()
            } else {
                basis
            };
            match lang {
                Lang::Da => format!(
                    "Kan ikke vurderes endnu: en prognose kræver tal for mindst to år \
                     (indtil nu {so_far})."
                ),
                Lang::En => format!(
                    "Cannot be judged yet: a forecast needs figures for at least two years \
                     (so far {so_far})."
                ),
            }
        }
    }
}

/// What a target shows for a figure there is nothing to measure for yet (retention before any
/// placement of the year is six months old).
pub fn not_measured(lang: Lang) -> &'static str {
    lang.pick("ikke målt endnu", "not measured yet")
}

pub fn per(lang: Lang, per: Per) -> &'static str {
    match per {
        Per::Year => lang.pick("pr. år", "per year"),
        Per::Period => lang.pick("i strategiperioden", "over the strategy period"),
    }
}

/// What happened, for an event type of the catalogue.
pub fn event_type(lang: Lang, event_type: EventType) -> &'static str {
    match event_type {
        EventType::StrategyAdopted => lang.pick("strategi vedtaget", "strategy adopted"),
        EventType::EnterpriseRegistered => {
            lang.pick("virksomhed registreret", "enterprise registered")
        }
        EventType::EnterpriseClosed => lang.pick("virksomhed lukket", "enterprise closed"),
        EventType::PersonPlacedInEmployment => {
            lang.pick("ansættelsesforløb", "person placed in employment")
        }
        EventType::GrantAwarded => lang.pick("bevilling", "grant awarded"),
        EventType::AgreementSigned => lang.pick("aftale indgået", "agreement signed"),
        EventType::AgreementEnded => lang.pick("aftale ophørt", "agreement ended"),
        EventType::TrialStarted => lang.pick("forsøg startet", "trial started"),
        EventType::TrendNoted => lang.pick("trend noteret", "trend noted"),
        EventType::EventRetracted => lang.pick("tilbagekaldelse", "retraction"),
        EventType::PlacementEnded => lang.pick("ansættelsesforløb ophørt", "placement ended"),
        EventType::GrantPaid => lang.pick("bevilling udbetalt", "grant paid"),
        EventType::GrantReturned => lang.pick("bevilling tilbagebetalt", "grant returned"),
        EventType::AgreementRenewed => lang.pick("aftale fornyet", "agreement renewed"),
        EventType::TrialConcluded => lang.pick("forsøg afsluttet", "trial concluded"),
        EventType::StrategyRevised => lang.pick("strategi revideret", "strategy revised"),
        EventType::MembersErased => {
            lang.pick("sletning af personoplysninger", "erasure of personal data")
        }
    }
}

/// The short names of the 17 UN Sustainable Development Goals; `None` outside 1-17.
pub fn sdg(lang: Lang, goal: u8) -> Option<&'static str> {
    const DANISH: [&str; 17] = [
        "Afskaf fattigdom",
        "Stop sult",
        "Sundhed og trivsel",
        "Kvalitetsuddannelse",
        "Ligestilling mellem kønnene",
        "Rent vand og sanitet",
        "Bæredygtig energi",
        "Anstændige jobs og økonomisk vækst",
        "Industri, innovation og infrastruktur",
        "Mindre ulighed",
        "Bæredygtige byer og lokalsamfund",
        "Ansvarligt forbrug og produktion",
        "Klimaindsats",
        "Livet i havet",
        "Livet på land",
        "Fred, retfærdighed og stærke institutioner",
        "Partnerskaber for handling",
    ];
    const ENGLISH: [&str; 17] = [
        "No poverty",
        "Zero hunger",
        "Good health and well-being",
        "Quality education",
        "Gender equality",
        "Clean water and sanitation",
        "Affordable and clean energy",
        "Decent work and economic growth",
        "Industry, innovation and infrastructure",
        "Reduced inequalities",
        "Sustainable cities and communities",
        "Responsible consumption and production",
        "Climate action",
        "Life below water",
        "Life on land",
        "Peace, justice and strong institutions",
        "Partnerships for the goals",
    ];
    let index = usize::from(goal).checked_sub(1)?;
    match lang {
        Lang::Da => DANISH.get(index).copied(),
        Lang::En => ENGLISH.get(index).copied(),
    }
}

/// An instant as the reader's local time in Copenhagen, e.g. "27. november 2026 kl. 08.00".
pub fn instant(lang: Lang, instant: RecordedAt) -> String {
    let local = instant.to_datetime().with_timezone(&Copenhagen);
    match lang {
        Lang::Da => format!("{} kl. {}", date(lang, instant), local.format("%H.%M")),
        Lang::En => format!(
            "{}, {} Copenhagen time",
            date(lang, instant),
            local.format("%H:%M")
        ),
    }
}

/// The day of an instant in Copenhagen, e.g. "27. november 2026" or "27 November 2026".
pub fn date(lang: Lang, instant: RecordedAt) -> String {
    const DANISH_MONTHS: [&str; 12] = [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const ENGLISH_MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let local = instant.to_datetime().with_timezone(&Copenhagen);
    let month = local.month0() as usize;
    match lang {
        Lang::Da => format!("{}. {} {}", local.day(), DANISH_MONTHS[month], local.year()),
        Lang::En => format!("{} {} {}", local.day(), ENGLISH_MONTHS[month], local.year()),
    }
}

/// How numbers are written: the decimal mark and the thousands separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberStyle {
    pub decimal_mark: char,
    /// None writes 1234567 without grouping (for CSV cells a spreadsheet reads as numbers).
    pub thousands: Option<char>,
}

impl NumberStyle {
    /// Danish prose: 1.234.567,00.
    pub const DANISH: NumberStyle = NumberStyle {
        decimal_mark: ',',
        thousands: Some('.'),
    };
    /// English prose: 1,234,567.00.
    pub const ENGLISH: NumberStyle = NumberStyle {
        decimal_mark: '.',
        thousands: Some(','),
    };

    pub fn of(lang: Lang) -> NumberStyle {
        match lang {
            Lang::Da => NumberStyle::DANISH,
            Lang::En => NumberStyle::ENGLISH,
        }
    }

    /// An integer, grouped in thousands.
    pub fn integer(self, number: i128) -> String {
        let digits = number.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if number < 0 {
            grouped.push('-');
        }
        for (index, digit) in digits.chars().enumerate() {
            let left = digits.len() - index;
            if index > 0 && left % 3 == 0 {
                if let Some(separator) = self.thousands {
                    grouped.push(separator);
                }
            }
            grouped.push(digit);
        }
        grouped
    }

    /// Øre as kroner with two decimals, e.g. 123456789 → 1.234.567,89 (Danish).
    ///
    /// Integer arithmetic only: money is never a float.
    pub fn kroner(self, ore: i64) -> String {
        let ore = i128::from(ore);
        let sign = if ore < 0 { "-" } else { "" };
        let kroner = self.integer((ore / 100).abs());
        let cents = (ore % 100).abs();
        format!("{sign}{kroner}{}{cents:02}", self.decimal_mark)
    }

    /// A forecast of a count, written as a count: the whole number at or below it (39,6 → 39),
    /// so it never reads as reaching a target that `on_track` (forecast ≥ target, on tenths)
    /// says it does not reach.
    pub fn forecast(self, forecast: f64) -> String {
        self.integer(forecast.floor() as i128)
    }

    /// A figure the projections give with one decimal (attainment), e.g. 393,3.
    pub fn one_decimal(self, value: f64) -> String {
        // The projections round once, on integers, to tenths; this only writes the tenths out.
        let tenths = (value * 10.0).round() as i128;
        let sign = if tenths < 0 { "-" } else { "" };
        let whole = self.integer((tenths / 10).abs());
        format!("{sign}{whole}{}{}", self.decimal_mark, (tenths % 10).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_danish_and_the_english_way() {
        let plain = NumberStyle {
            decimal_mark: ',',
            thousands: None,
        };
        let cases: [(NumberStyle, i64, &str); 7] = [
            (NumberStyle::DANISH, 123_456_789, "1.234.567,89"),
            (NumberStyle::DANISH, 5, "0,05"),
            (NumberStyle::DANISH, -123_456, "-1.234,56"),
            (NumberStyle::ENGLISH, 100_000_000, "1,000,000.00"),
            (NumberStyle::ENGLISH, 99_900, "999.00"),
            (plain, 123_456_789, "1234567,89"),
            (plain, -50, "-0,50"),
        ];
        for (style, ore, expected) in cases {
            assert_eq!(style.kroner(ore), expected, "{ore} øre");
        }
        assert_eq!(NumberStyle::DANISH.one_decimal(393.3), "393,3");
        assert_eq!(NumberStyle::DANISH.one_decimal(1234.0), "1.234,0");
        assert_eq!(NumberStyle::ENGLISH.one_decimal(-0.5), "-0.5");
        assert_eq!(NumberStyle::ENGLISH.integer(1_000), "1,000");
        assert_eq!(NumberStyle::DANISH.integer(999), "999");
        assert_eq!(NumberStyle::DANISH.forecast(40.0), "40");
        assert_eq!(NumberStyle::DANISH.forecast(39.9), "39");
        assert_eq!(NumberStyle::DANISH.forecast(1234.5), "1.234");
    }

    #[test]
    fn every_goal_has_a_name_in_both_languages() {
        for goal in 1..=17 {
            assert!(sdg(Lang::Da, goal).is_some() && sdg(Lang::En, goal).is_some());
        }
        assert_eq!(sdg(Lang::Da, 0), None);
        assert_eq!(sdg(Lang::En, 18), None);
        assert_eq!(sdg(Lang::Da, 8), Some("Anstændige jobs og økonomisk vækst"));
    }
}
