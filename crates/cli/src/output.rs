//! Standard output that a closed pipe cannot crash: `hookswitch
//! audio-devices | head -1` and `hookswitch listen | grep -m1 established`
//! must not panic when the reader goes away (println! does). What cannot be
//! written is dropped; the command goes on (a call in progress still ends
//! properly) and exits as it would have.

use std::io::Write;

/// Writes one line to standard output, ignoring a closed pipe.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    let _ = out.flush();
}

/// `println!` that survives a closed pipe.
macro_rules! say {
    () => { $crate::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}
