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

    /// Whether a call is still up after `what`.
    pub fn check_up(&mut self, part: &str, what: &str, up: bool) {
        let value = if up { "up" } else { "ended" };
        self.check(part, what, value.into(), "up".into(), up);
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

    /// The process's descriptors and threads in `samples` (one `when`:
    /// "after each restart") against `before`: descriptors the same, threads
    /// no more (fewer is a pool thread of tokio's that ended).
    pub fn check_shapes(
        &mut self,
        part: &str,
        when: &str,
        samples: &[super::Sample],
        before: &super::Sample,
    ) {
        let range = |v: Vec<usize>| {
            format!(
                "{} to {}",
                v.iter().min().copied().unwrap_or(0),
                v.iter().max().copied().unwrap_or(0)
            )
        };
        let fds: Vec<usize> = samples.iter().map(|s| s.fds).collect();
        let threads: Vec<usize> = samples.iter().map(|s| s.threads).collect();
        self.check(
            part,
            &format!("descriptors {when}"),
            format!("{} (before {})", range(fds.clone()), before.fds),
            "as before".into(),
            !fds.is_empty() && fds.iter().all(|f| *f == before.fds),
        );
        self.check(
            part,
            &format!("threads {when}"),
            format!("{} (before {})", range(threads.clone()), before.threads),
            "no more than before".into(),
            !threads.is_empty() && threads.iter().all(|t| *t <= before.threads),
        );
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
