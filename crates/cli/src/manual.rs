//! The manual page and the shell completions, generated from the command
//! line's own definition so they never disagree with it. The package runs
//! these at build time (`cargo xtask package`); a user can too.

use std::io::{ErrorKind, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit;

/// Writes `bytes` to standard output; a closed pipe (`| head`) is no error.
fn print(bytes: &[u8]) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(e.into()),
    }
}

pub fn completions(shell: Shell) -> anyhow::Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hookswitch", &mut script);
    print(&script)
}

/// hookswitch(1): the command, its options, and a section per subcommand
/// (clap_mangen renders one command; the subcommands follow as sections).
pub fn page() -> anyhow::Result<u8> {
    let command = Cli::command();
    let mut roff = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut roff)?;
    man.render_name_section(&mut roff)?;
    man.render_synopsis_section(&mut roff)?;
    man.render_description_section(&mut roff)?;
    man.render_options_section(&mut roff)?;
    man.render_subcommands_section(&mut roff)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(roff, ".SH \"HOOKSWITCH {}\"", sub.get_name().to_uppercase())?;
        let sub_man = clap_mangen::Man::new(
            sub.clone()
                .bin_name(format!("hookswitch {}", sub.get_name())),
        );
        let mut part = Vec::new();
        sub_man.render_synopsis_section(&mut part)?;
        sub_man.render_description_section(&mut part)?;
        sub_man.render_options_section(&mut part)?;
        // Inside a section, its own headings become sub-headings.
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        roff.extend_from_slice(part.as_bytes());
    }
    writeln!(roff, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in [
        (exit::OK, "the command did what was asked"),
        (exit::ERROR, "bad usage, configuration or local error"),
        (
            exit::CALL_FAILED,
            "the call was not established, or the message not delivered",
        ),
        (exit::REGISTRATION_FAILED, "registration failed"),
        (exit::NOT_RUNNING, "no running instance to talk to"),
    ] {
        writeln!(roff, ".TP\n{code}\n{meaning}")?;
    }
    writeln!(
        roff,
        ".SH FILES\n.TP\n~/.config/hookswitch/config.toml\nthe configuration (\\fBhookswitch config path\\fR)\n.TP\n~/.config/hookswitch/device\\-profiles/\nyour own device profiles (\\fBhookswitch hid\\-learn\\fR writes them)\n.TP\n/etc/hookswitch/device\\-profiles/\nan administrator's device profiles\n.TP\n/usr/share/hookswitch/device\\-profiles/\nthe shipped device profiles\n.SH \"SEE ALSO\"\n\\fBhookswitch\\-app\\fR(1), /usr/share/doc/hookswitch/README.md"
    )?;
    man.render_version_section(&mut roff)?;
    print(&roff)
}
