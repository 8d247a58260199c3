//! The user's language for what the shell itself says (the tray, the
//! notifications) and for the window (`AppView::locale`): the language
//! setting when one is chosen, else the system's locale. The catalogues are
//! the window's (ui/src/locales/*.ftl, Fluent), one set for both, so one
//! check (ui/src/lib/catalogues.test.ts) keeps every language complete.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The catalogues, by language; English is the reference and the fallback.
const CATALOGUES: [(&str, &str); 3] = [
    ("en", include_str!("../../ui/src/locales/en.ftl")),
    ("de", include_str!("../../ui/src/locales/de.ftl")),
    ("fr", include_str!("../../ui/src/locales/fr.ftl")),
];

/// The system's locale as BCP 47 ("de-DE"), from the environment as gettext
/// reads it for messages: `LANGUAGE`'s first entry (unless the locale is C),
/// `LC_ALL`, `LC_MESSAGES`, `LANG`; none: "en".
pub fn system_locale() -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let locale = var("LC_ALL")
        .or_else(|| var("LC_MESSAGES"))
        .or_else(|| var("LANG"));
    let c = locale
        .as_deref()
        .is_none_or(|l| bcp47(l) == "en" && l.starts_with(['C', 'P']));
    let preferred = var("LANGUAGE")
        .filter(|_| !c)
        .and_then(|list| list.split(':').find(|l| !l.is_empty()).map(str::to_string));
    bcp47(preferred.or(locale).as_deref().unwrap_or(""))
}

/// The locale in use: the setting ("de", "fr-CA") when one is chosen, else
/// the system's.
pub fn resolve(setting: &str, system: &str) -> String {
    if setting.trim().is_empty() {
        bcp47(system)
    } else {
        bcp47(setting)
    }
}

/// A POSIX locale ("de_DE.UTF-8@euro") or a BCP 47 tag as BCP 47 ("de-DE");
/// "C", "POSIX" and anything unreadable as "en".
pub fn bcp47(locale: &str) -> String {
    let base = locale
        .split(['.', '@'])
        .next()
        .unwrap_or("")
        .replace('_', "-");
    match base.parse::<unic_langid::LanguageIdentifier>() {
        Ok(id) if !matches!(base.as_str(), "" | "C" | "POSIX") => id.to_string(),
        _ => "en".into(),
    }
}

/// The catalogue language for a locale ("de-AT" -> "de"); else English.
pub fn language_of(locale: &str) -> &'static str {
    let tag = bcp47(locale);
    let language = tag.split('-').next().unwrap_or("en");
    CATALOGUES
        .iter()
        .map(|(id, _)| *id)
        .find(|id| *id == language)
        .unwrap_or("en")
}

/// The shell's words in one language.
pub struct Texts {
    language: &'static str,
    bundle: FluentBundle<FluentResource>,
    /// The fallback, when this language is not English itself.
    english: Option<FluentBundle<FluentResource>>,
}

fn bundle(language: &'static str) -> FluentBundle<FluentResource> {
    let source = CATALOGUES
        .iter()
        .find(|(id, _)| *id == language)
        .map_or(CATALOGUES[0].1, |(_, text)| *text);
    let id = language.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Left-to-right languages only: no bidi marks in tooltips.
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, errors)| {
            tracing::error!("catalogue {language}: {} syntax errors", errors.len());
            partial
        });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!("catalogue {language}: {errors:?}");
    }
    bundle
}

impl Texts {
    pub fn new(locale: &str) -> Texts {
        let language = language_of(locale);
        Texts {
            language,
            bundle: bundle(language),
            english: (language != "en").then(|| bundle("en")),
        }
    }

    /// The message `id` with its variables; English when this language
    /// lacks it (the catalogue check says so first), the id when none has it.
    pub fn get(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for bundle in std::iter::once(&self.bundle).chain(&self.english) {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!("message {id}: {errors:?}");
                }
                return text.into_owned();
            }
        }
        tracing::warn!("no message {id}");
        id.to_string()
    }

    /// `x` with two decimals as the language writes them ("4,20").
    pub fn decimal(&self, x: f64) -> String {
        let text = format!("{x:.2}");
        match self.language {
            "de" | "fr" => text.replace('.', ","),
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_locales_read_as_bcp47_and_pick_a_catalogue() {
        assert_eq!(bcp47("de_DE.UTF-8"), "de-DE");
        assert_eq!(bcp47("fr_CA.UTF-8@euro"), "fr-CA");
        assert_eq!(bcp47("C.UTF-8"), "en");
        assert_eq!(bcp47("POSIX"), "en");
        assert_eq!(bcp47("%%"), "en");
        assert_eq!(language_of("de-AT"), "de");
        assert_eq!(language_of("fr_BE.UTF-8"), "fr");
        assert_eq!(language_of("ja_JP.UTF-8"), "en");
        assert_eq!(resolve("", "de_DE.UTF-8"), "de-DE");
        assert_eq!(resolve("fr", "de_DE.UTF-8"), "fr");
    }

    #[test]
    fn every_message_the_shell_says_is_in_every_catalogue() {
        let n = FluentValue::from(2);
        let s = |v: &'static str| FluentValue::from(v);
        let said: [(&str, Vec<(&str, FluentValue)>); 22] = [
            ("tray-show", vec![]),
            ("tray-answer", vec![]),
            ("tray-dnd", vec![]),
            ("tray-status", vec![]),
            ("tray-quit", vec![]),
            ("tray-ringing", vec![]),
            ("tray-in-call", vec![("count", n.clone())]),
            ("tray-offline", vec![]),
            ("tray-ready", vec![]),
            ("tray-registered", vec![("accounts", s("work"))]),
            (
                "tray-with-status",
                vec![("text", s("x")), ("status", s("y"))],
            ),
            (
                "tray-balance",
                vec![("account", s("a")), ("amount", s("1"))],
            ),
            ("tray-balance-unknown", vec![("account", s("a"))]),
            ("tray-balance-low", vec![("text", s("x"))]),
            (
                "tray-balance-error",
                vec![("text", s("x")), ("error", s("e"))],
            ),
            ("notify-incoming", vec![]),
            ("notify-missed", vec![]),
            ("notify-low-balance", vec![]),
            ("notify-message", vec![("who", s("Bob"))]),
            ("presence-available", vec![]),
            ("presence-away", vec![]),
            ("availability-busy", vec![]),
        ];
        for (language, _) in CATALOGUES {
            let texts = Texts::new(language);
            let own = bundle(language);
            for (id, args) in &said {
                assert!(own.has_message(id), "{language} lacks {id}");
                let text = texts.get(id, args);
                assert!(
                    !text.contains('{') && !text.is_empty(),
                    "{language} {id}: {text}"
                );
            }
        }
        assert_eq!(Texts::new("de-DE").get("tray-quit", &[]), "Beenden");
        assert_eq!(Texts::new("fr").decimal(4.2), "4,20");
    }
}
