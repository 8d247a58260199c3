//! The window's TypeScript types, made from the Rust types that cross into
//! it (ts-rs, D52): `ui/src/lib/generated.ts` is this text, and
//! `tests/typescript.rs` fails when the two differ, so neither side can
//! drift from the other.

use ts_rs::{Config, TS};

/// The file `ui/src/lib/generated.ts` should hold.
pub fn typescript() -> String {
    // Call numbers and counters are JSON numbers: JavaScript's number holds
    // them exactly up to 2^53.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        // The phone API (crates/phone): verbs in, events and state out.
        hookswitch_phone::Action::decl(&cfg),
        hookswitch_phone::Reply::decl(&cfg),
        hookswitch_phone::control::ControlReply::decl(&cfg),
        hookswitch_phone::PhoneEvent::decl(&cfg),
        hookswitch_phone::RegistrationPhase::decl(&cfg),
        hookswitch_phone::EndReason::decl(&cfg),
        hookswitch_phone::DeflectReason::decl(&cfg),
        hookswitch_phone::AddressCause::decl(&cfg),
        hookswitch_phone::MediaDirection::decl(&cfg),
        hookswitch_phone::DeviceChange::decl(&cfg),
        hookswitch_phone::CallStats::decl(&cfg),
        hookswitch_phone::DeviceActivity::decl(&cfg),
        hookswitch_phone::call_handling::ForwardReason::decl(&cfg),
        hookswitch_phone::PhoneState::decl(&cfg),
        hookswitch_phone::state::RegistrationView::decl(&cfg),
        hookswitch_phone::state::HandlingView::decl(&cfg),
        hookswitch_phone::state::VoicemailView::decl(&cfg),
        hookswitch_phone::state::SoundView::decl(&cfg),
        hookswitch_phone::state::CallPhase::decl(&cfg),
        hookswitch_phone::state::CallNote::decl(&cfg),
        hookswitch_phone::state::CallView::decl(&cfg),
        hookswitch_phone::state::DeviceView::decl(&cfg),
        hookswitch_phone::state::UnusableDevice::decl(&cfg),
        hookswitch_phone::state::PresenceView::decl(&cfg),
        hookswitch_phone::state::WatchedView::decl(&cfg),
        hookswitch_phone::Availability::decl(&cfg),
        hookswitch_phone::state::LampView::decl(&cfg),
        hookswitch_phone::state::BalanceView::decl(&cfg),
        hookswitch_phone::event::LampPhase::decl(&cfg),
        // Settings, history and the account check.
        hookswitch_phone::config::AccountSettings::decl(&cfg),
        hookswitch_phone::balance::BalanceSettings::decl(&cfg),
        hookswitch_phone::call_handling::CallHandling::decl(&cfg),
        hookswitch_phone::history::Entry::decl(&cfg),
        hookswitch_phone::message_store::StoredMessage::decl(&cfg),
        hookswitch_phone::message_store::Conversation::decl(&cfg),
        hookswitch_phone::message_store::Delivery::decl(&cfg),
        hookswitch_phone::probe::Outcome::decl(&cfg),
        hookswitch_phone::probe::Problem::decl(&cfg),
        // The address book (crates/directory, crates/phone's store).
        hookswitch_directory::Contact::decl(&cfg),
        hookswitch_directory::Address::decl(&cfg),
        hookswitch_directory::AddressKind::decl(&cfg),
        hookswitch_phone::directory::DirectoryHit::decl(&cfg),
        hookswitch_phone::directory::RemoteSearch::decl(&cfg),
        hookswitch_phone::store::StoredContact::decl(&cfg),
        hookswitch_phone::store::Book::decl(&cfg),
        hookswitch_phone::store::BookKind::decl(&cfg),
        // Devices (crates/devices, crates/hid, crates/media).
        hookswitch_devices::DeviceInfo::decl(&cfg),
        hookswitch_devices::DeviceId::decl(&cfg),
        hookswitch_devices::Backend::decl(&cfg),
        hookswitch_devices::DeviceKind::decl(&cfg),
        hookswitch_devices::DeviceProblem::decl(&cfg),
        hookswitch_devices::sound::SoundDevice::decl(&cfg),
        hookswitch_hid::DeviceState::decl(&cfg),
        hookswitch_hid::Presence::decl(&cfg),
        hookswitch_hid::ButtonMapping::decl(&cfg),
        hookswitch_hid::busylight::LightSettings::decl(&cfg),
        hookswitch_hid::PhoneInput::decl(&cfg),
        hookswitch_media::srtp::SrtpMode::decl(&cfg),
        // The app's own (src-tauri).
        crate::commands::Snapshot::decl(&cfg),
        crate::commands::Devices::decl(&cfg),
        crate::state::AppView::decl(&cfg),
        crate::settings::DesktopSettings::decl(&cfg),
        crate::contacts::ImportOutcome::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/typescript.rs: do not edit.\n\
         // After changing a type: HOOKSWITCH_WRITE_TYPES=1 cargo test -p hookswitch-app \\\n\
         //   --features ts --test typescript\n",
    );
    for decl in decls {
        out.push('\n');
        out.push_str("export ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}
