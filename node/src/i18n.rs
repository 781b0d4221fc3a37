//! The UI's words: two Project Fluent catalogues embedded in the binary, `node/i18n/zh-CN/
//! main.ftl` (the default) and `node/i18n/en/main.ftl`.
//!
//! A key missing from a catalogue cannot pass the tests below (every key the templates and
//! the UI code name, and every protocol name shown through a key, must be in both, and both
//! must hold the same keys). Should one slip through at run time anyway, it is logged as an
//! error and the key itself is shown, never a bare `?`.

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;

const ZH_CN: &str = include_str!("../i18n/zh-CN/main.ftl");
const EN: &str = include_str!("../i18n/en/main.ftl");

/// A language of the UI; Chinese unless the user chose English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    /// The BCP 47 tag, as the page's `lang` attribute wants it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::ZhCn => ZH_CN,
            Lang::En => EN,
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundle(lang: Lang) -> Bundle {
    let tag = lang.tag();
    let mut b = FluentBundle::new_concurrent(vec![tag.parse().unwrap_or_default()]);
    // Isolation marks are for placeables in mixed-direction text; ours are plain strings and
    // the marks would end up in the HTML.
    b.set_use_isolating(false);
    let res = FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(|(part, e)| {
        tracing::error!(lang = tag, errors = ?e, "the UI's message catalogue does not parse");
        part
    });
    if let Err(e) = b.add_resource(res) {
        tracing::error!(lang = tag, errors = ?e, "the UI's message catalogue repeats keys");
    }
    b
}

static ZH_CN_BUNDLE: LazyLock<Bundle> = LazyLock::new(|| bundle(Lang::ZhCn));
static EN_BUNDLE: LazyLock<Bundle> = LazyLock::new(|| bundle(Lang::En));

/// Whether the catalogues hold `key` (both hold the same keys; a test keeps them so).
pub fn has(key: &str) -> bool {
    ZH_CN_BUNDLE.has_message(key)
}

/// The text of `key` in `lang`.
pub fn message(lang: Lang, key: &str) -> Cow<'static, str> {
    let b: &'static Bundle = match lang {
        Lang::ZhCn => &ZH_CN_BUNDLE,
        Lang::En => &EN_BUNDLE,
    };
    let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
        tracing::error!(
            key,
            lang = lang.tag(),
            "the UI's message catalogue lacks this key"
        );
        return Cow::Owned(key.to_owned());
    };
    let mut errors = Vec::new();
    let text = b.format_pattern(pattern, None, &mut errors);
    if !errors.is_empty() {
        tracing::error!(
            key,
            lang = lang.tag(),
            ?errors,
            "a UI message did not format"
        );
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    const LANGS: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The message ids of a catalogue: lines `id = …` (Fluent ids start a line).
    fn keys(source: &str) -> BTreeSet<String> {
        source
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .filter(|k| {
                k.starts_with(|c: char| c.is_ascii_alphabetic())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .map(str::to_owned)
            .collect()
    }

    /// Every string literal passed to `.t("…")` in the templates and the UI's code.
    fn literal_keys() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates", "src/http/ui"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                files.push(e.unwrap().path());
            }
        }
        let mut out = BTreeSet::new();
        for f in files {
            if f.file_name().is_some_and(|n| n == "i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            let mut rest = text.as_str();
            while let Some(i) = rest.find(".t(\"") {
                rest = &rest[i + 4..];
                out.insert(rest.split('"').next().unwrap().to_owned());
            }
        }
        assert!(
            out.len() > 40,
            "found only {} keys: the scan is broken",
            out.len()
        );
        out
    }

    /// Protocol names the pages show through a key (categories, kinds, levels, statuses,
    /// skills).
    fn data_keys() -> BTreeSet<String> {
        let ui = crate::http::ui::CATEGORIES
            .iter()
            .chain(crate::http::ui::STATUSES.iter())
            .chain(tongxin_schema::OrgKind::NAMES.iter());
        ui.map(|k| (*k).to_owned())
            .chain(crate::http::ui::SKILLS.iter().map(|s| format!("skill-{s}")))
            .chain(
                <tongxin_schema::v1::taxonomy::WeeklySlot as strum::VariantArray>::VARIANTS
                    .iter()
                    .map(|s| format!("slot-{}", s.as_str())),
            )
            .chain(
                crate::http::ui::members::IMPORT_CODES
                    .iter()
                    .map(|c| format!("import-{c}")),
            )
            .chain(["dry-run", "all", "skip-invalid"].map(|m| format!("mode-{m}")))
            .chain(["A", "B"].map(|r| format!("emergency-role-{r}")))
            .chain(crate::http::ui::LEVELS.map(|l| format!("level-{l}")))
            .chain(
                tongxin_schema::v1::taxonomy::MicroWishCategory::ALL
                    .iter()
                    .map(|c| format!("mw-{}", c.as_str())),
            )
            .chain(
                crate::http::ui::pairings::WISH_STATES
                    .iter()
                    .map(|s| format!("wish-state-{s}")),
            )
            .chain(
                crate::http::ui::activities::categories()
                    .into_iter()
                    .map(|c| format!("activity-{c}")),
            )
            .chain(
                crate::http::ui::activities::signup_statuses()
                    .into_iter()
                    .map(|s| format!("signup-{s}")),
            )
            .chain(
                crate::http::ui::agreements::STANDINGS
                    .iter()
                    .map(|s| format!("agreement-{s}")),
            )
            .chain(
                crate::http::ui::signin::REFUSAL_CODES
                    .iter()
                    .map(|c| format!("signin-{c}")),
            )
            .collect()
    }

    #[test]
    fn both_catalogues_parse_and_hold_the_same_keys() {
        for lang in LANGS {
            assert!(
                FluentResource::try_new(lang.source().to_owned()).is_ok(),
                "{} does not parse",
                lang.tag()
            );
            for k in keys(lang.source()) {
                let b = bundle(lang);
                assert!(b.has_message(&k), "{}: {k} is not a message", lang.tag());
            }
        }
        let (zh, en) = (keys(ZH_CN), keys(EN));
        assert!(zh.len() > 40, "the key scan found only {}", zh.len());
        assert_eq!(
            zh.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys in zh-CN but not in en"
        );
        assert_eq!(
            en.difference(&zh).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys in en but not in zh-CN"
        );
    }

    #[test]
    fn every_key_the_ui_uses_is_in_both_catalogues() {
        let mut missing = Vec::new();
        for key in literal_keys().into_iter().chain(data_keys()) {
            for lang in LANGS {
                if !keys(lang.source()).contains(&key) {
                    missing.push(format!("{key} ({})", lang.tag()));
                }
            }
        }
        assert!(missing.is_empty(), "missing translations: {missing:?}");
    }

    #[test]
    fn chinese_by_default_and_a_missing_key_is_not_a_question_mark() {
        assert_eq!(message(Lang::default(), "offers"), "资源清单");
        assert_eq!(message(Lang::En, "offers"), "Offers");
        assert_eq!(message(Lang::En, "volunteer-skill"), "Volunteer skill");
        assert_eq!(message(Lang::ZhCn, "no-such-key"), "no-such-key");
    }
}
