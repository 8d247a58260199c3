//! The soak's report: every figure measured, with the limit it is held to
//! (or none: a figure only reported), as a Markdown table.

use std::fmt::Write as _;

pub struct Figure {
    pub part: String,
    pub what: String,
    pub value: String,
    pub limit: String,
    /// None: reported, not judged.
    pub ok: Option<bool>,
}

#[derive(Default)]
pub struct Report {
    pub figures: Vec<Figure>,
}

impl Report {
    /// A figure held to a limit.
    pub fn check(&mut self, part: &str, what: &str, value: String, limit: String, ok: bool) {
        self.figures.push(Figure {
            part: part.into(),
            what: what.into(),
            value,
            limit,
            ok: Some(ok),
        });
    }

    /// A figure reported only.
    pub fn note(&mut self, part: &str, what: &str, value: String) {
        self.figures.push(Figure {
            part: part.into(),
            what: what.into(),
            value,
            limit: String::new(),
            ok: None,
        });
    }

    /// Whether every judged figure is within its limit.
    pub fn passed(&self) -> bool {
        self.figures.iter().all(|f| f.ok != Some(false))
    }

    /// The figures that are not.
    pub fn failures(&self) -> Vec<String> {
        self.figures
            .iter()
            .filter(|f| f.ok == Some(false))
            .map(|f| format!("{}: {} = {} (limit {})", f.part, f.what, f.value, f.limit))
            .collect()
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("| part | figure | value | limit | |\n|---|---|---|---|---|\n");
        for f in &self.figures {
            let verdict = match f.ok {
                Some(true) => "ok",
                Some(false) => "**FAIL**",
                None => "",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {verdict} |",
                f.part, f.what, f.value, f.limit
            );
        }
        out
    }
}
