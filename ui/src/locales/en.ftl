# Hookswitch: the window's words, the tray's and the notifications'.
# English is the reference: every catalogue has exactly its keys and uses no
# variable it does not (`npm test` checks, in `cargo xtask test`).
# Numbers and dates given as variables are formatted for the locale.

## The window: pages and the status bar

app-name = Hookswitch
nav-pages = Pages
nav-phone = Phone
nav-history = History
nav-contacts = Contacts
nav-messages = Messages
nav-devices = Devices
nav-settings = Settings
nav-shortcut = { $page } (Alt+{ $key })
nav-missed = { $count ->
    [one] { $count } missed call
   *[other] { $count } missed calls
}
nav-unread = { $count ->
    [one] { $count } unread message
   *[other] { $count } unread messages
}
dismiss = Dismiss
announce-incoming = Incoming call from { $who }

status-not-running = not running
status-ready = ready
status-ready-on = ready on { $address }
status-dnd = do not disturb
status-voicemail = { $count ->
    [0] new voicemail
    [one] { $count } new voicemail
   *[other] { $count } new voicemails
}
status-voicemail-title = Voicemail
status-balance-title = { $account }: balance
status-balance-error = Could not check: { $error }
registration-registered = online
registration-registering = connecting
registration-failed = offline
registration-unregistered = offline
registration-line = { $account }: { $state }
balance-amount = { $account }: { $amount }
balance-unknown = { $account }: balance unknown
balance-low = { $text } (low)
balance-not-current = { $text } (not current)

## The Phone page

phone-page = Phone
phone-device-dialing = Dialing on your device:
phone-dial-tone = dial tone
phone-other-calls = Other calls
phone-on-hold = (on hold)
phone-in-conference = (in the conference)
phone-show = Show
phone-new-call = New call…
phone-favourites = Favourites
call-contact = Call { $name }, { $address }
call-someone = Call { $who }

dial-label = Number or SIP address
dial-placeholder = Number or sip:user@host
dial-delete = Delete last character
dial-suggestions = Contacts matching
dial-from-directory = directory
dial-from = From
dial-default-account = { $account } (default)
dial-pad = Dial pad
dial-speed-hint = Hold for speed dial
dial-call = Call
dial-redial = Redial
dial-call-title = Call (Enter); empty: redial
dial-no-account = No account yet: call any <code>sip:user@host</code> directly, or
dial-check-sound = Check your sound:
dial-echo-test = run the echo test
dial-add-account = Add an account
dial-to-take-calls = to take calls.
speed-dial-empty = Nothing on speed dial { $digit }: give a contact that key on the Contacts page.

call-with = Call with { $who }
call-on-hold = On hold
call-ringing = Ringing…
call-calling = Calling…
call-recording = Recording
call-encrypted = encrypted ({ $how })
call-microphone = Microphone
call-speaker = Speaker
call-controls = Call controls
call-mute = Mute
call-unmute = Unmute
call-hold = Hold
call-resume = Resume
call-keypad = Keypad
call-transfer = Transfer
call-swap = Swap
call-merge = Merge
call-merge-title = Everyone hears everyone
call-record = Record
call-stop-recording = Stop recording
call-record-title = Record both sides of the call
call-quality = Quality
call-send-tones = Send tones
call-sent = Sent: { $digits }
call-transfer-to = Transfer to
call-transfer-placeholder = Number or SIP address
call-connect-with = Connect with { $who }
call-leave-conference = Leave conference
call-hang-up = Hang up
call-cancel = Cancel
note-progress = { $status } { $reason }
note-hold-refused = hold refused ({ $status })
note-resume-refused = resume refused ({ $status })
note-transfer = transfer: { $status }
note-transfer-done = transfer: { $status } (done)
note-cannot-record = cannot record: { $reason }

stats-mos = MOS (estimate)
stats-loss = Packet loss
stats-loss-value = { NUMBER($percent, minimumFractionDigits: 1, maximumFractionDigits: 1) } % ({ $lost })
stats-jitter = Jitter
stats-ms = { NUMBER($ms, maximumFractionDigits: 1) } ms
stats-round-trip = Round trip
stats-packets = Packets sent / received
stats-packets-value = { $sent } / { $received }
stats-concealed = Concealed frames
stats-remote-mos = MOS at the other end

conference = Conference
conference-people = Conference · { $count } people
conference-mute-title = Your microphone to this person only

incoming-call = Incoming call
incoming-waiting = Call waiting
incoming-answer = Answer
incoming-hold-and-answer = Hold and answer
incoming-decline = Decline

lamps = Busy lamps
lamps-extensions = Extensions
lamp-idle = idle
lamp-ringing = ringing
lamp-busy = busy
lamp-unknown = unknown
lamp-label = { $name }: { $state }
lamp-label-from = { $name }: { $state }, from { $caller }
lamp-press-pick-up = { $label }, press to pick up
lamp-press-call = { $label }, press to call

presence = Presence
presence-my-status = My status
presence-available = Available
presence-away = Away
presence-busy = Busy
presence-dnd = Do not disturb
presence-appear-offline = Appear offline
presence-note = Note
presence-note-placeholder = Note (optional)
presence-set = Set
presence-others-see = Others see:
presence-contacts = Contacts
presence-nobody = Nobody watched yet.
presence-watch-placeholder = Number, name or sip:user@host
presence-watch-whom = Watch whom
presence-watch = Watch
presence-stop-watching = Stop watching { $who }
availability-available = available
availability-away = away
availability-busy = busy
availability-dnd = do not disturb
availability-on-the-phone = on the phone
availability-offline = offline
availability-unknown = unknown

## History

history = Call history
history-show = Show
history-all = All
history-missed = Missed
history-none = No calls yet.
history-outgoing = Outgoing
history-incoming = Incoming
history-missed-call = missed
history-call = Call
# How a call that was not talked on ended (history's reason).
end-local = ended here
end-remote = ended by the other side
end-cancelled = cancelled
end-rejected = refused
end-timeout = no answer
end-failed = failed
end-dnd = refused: do not disturb
end-always = forwarded
end-busy = forwarded: busy
end-no-answer = forwarded: no answer

## Contacts

contacts = Contacts
contacts-search = Search contacts
contacts-search-placeholder = Search names, companies, numbers
contacts-new = New contact
contacts-book-unreachable = { $book } is unreachable ({ $error }); its last copy is shown.
contacts-directory-unreachable = The directory is unreachable: { $error }
contacts-nobody-found = Nobody found.
contacts-none = No contacts yet.
contacts-favourite = Favourite
contacts-key = key { $digit }
contacts-star = Star
contacts-unstar = Unstar
contacts-edit = Edit
contacts-delete = Delete
contacts-delete-confirm = Delete { $name }?
contacts-imported = { $added } added, { $updated } updated
contacts-not-imported = { $text }; not imported: { $errors }
contacts-not-synced = Not synced: { $errors }
contacts-synced = Address books synced.
contacts-books = Address books
contacts-book-line = { $book } · { $count ->
    [one] { $count } contact
   *[other] { $count } contacts
}
contacts-read-only = read-only
contacts-book-error = unreachable: { $error }
contacts-syncing = Syncing…
contacts-sync-now = Sync now
contacts-import = Import vCard
contacts-export = Export all as vCard

contact-new = New contact
contact-edit = Edit { $name }
contact-name = Name
contact-organisation = Organisation
contact-department = Department
contact-addresses = Numbers and SIP addresses
contact-label = Label
contact-label-placeholder = label
contact-sip-address = SIP address
contact-number = Number
contact-remove = Remove
contact-add-number = Add a number
contact-add-sip = Add a SIP address
contact-favourite = Favourite (shown first on the Phone page)
contact-speed-dial = Speed dial
contact-speed-none = none
contact-save = Save
contact-cancel = Cancel
# The labels offered for a number (stored as typed).
label-work = work
label-mobile = mobile
label-home = home
label-main = main
label-fax = fax

## Messages

messages = Messages
messages-new = New message
messages-none = No messages yet.
messages-conversation = { $who }{ $unread ->
    [0] {""}
   *[other] , { $unread } unread
}
messages-you = You: { $text }
messages-back = ← Conversations
messages-call = Call
messages-to = To
messages-to-placeholder = number, name or sip:user@host
messages-typing = typing…
messages-message = Message
messages-send = Send
delivery-sending = sending…
delivery-delivered = delivered
delivery-failed = not delivered
delivery-failed-why = not delivered: { $why }

## Devices

devices = Devices
devices-sound = Sound
devices-microphone = Microphone
devices-speaker = Speaker
devices-ring-on = Ring incoming calls on
devices-no-ring = No ring sound (the headset's own ringer only)
devices-automatic = Automatic (the headset's own, else the system's)
devices-system-default = The system's default
devices-none = None
devices-next-call = The next call uses them; a call in progress keeps its own.
devices-inputs-outputs = Inputs and outputs ({ $count })
devices-input = input
devices-output = output
devices-default = default
devices-headsets = Headsets and handsets
devices-no-headset = No call-control device found. Plug in a USB headset or handset.
devices-unnamed = Unnamed device
devices-profile = profile { $profile }
devices-sound-card = sound { $card }
devices-leds = LEDs: { $leds }
devices-leds-not-yet = not written yet
devices-busylights = Busylights
devices-no-busylight = No busylight found. kuando, Luxafor, Embrava Blynclight, BlinkStick and blink(1) lights show your presence and calls when plugged in.
devices-busylight = Busylight
devices-shows = Shows: { $what }
devices-shows-nothing = nothing yet
devices-test = Test
devices-looks = What busylights show
devices-looks-hint = A colour (green, yellow, red, purple, blue, orange, magenta, cyan, white, off, or #rrggbb), then steady, flash, pulse or wink; voicemail may use "presence" for the presence colour.
look-available = Available
look-away = Away
look-busy = Busy
look-dnd = Do not disturb
look-offline = Offline
look-ringing = A call rings
look-call = In a call
look-hold = On hold
look-voicemail = Voicemail waiting
devices-ring-too = Lights with a speaker ring too
devices-tune = Their tune
devices-volume = Volume (%)
devices-save = Save
devices-looks-saved = Saved: the phone takes them when no call is in progress.
devices-unusable = Found but not usable
devices-udev-installed = The Hookswitch package installed the udev rule (<code>{ $path }</code>): plug the device in again. A headset of a vendor it does not name needs a line of its own in <code>/etc/udev/rules.d/</code>, like those of the rule:
devices-udev-needed = Telephony devices need a udev rule that lets you open them. Save this as <code>70-hookswitch.rules</code>:
devices-udev-then = then run, and plug the device in again:
devices-test-headset = Test my headset
devices-test-intro = Press a button on your device and see that Hookswitch hears it; then call the echo test to hear yourself through it.
devices-test-start = Start
devices-test-press = Press the call, mute or volume button of your headset, or lift the handset…
devices-test-heard = Heard it: { $what }. Now call the echo test and speak: you hear yourself a second later.
devices-test-echo = Call the echo test
devices-test-done = Done
devices-live = Live view
devices-activity-pressed = device { $device }: pressed { $input }
devices-activity-leds = device { $device }: LEDs { $leds } (report { $report })
devices-activity-none = Button presses and LED changes show here as they happen.
leds-all-off = all off
light-in-call = in a call
light-ringing = ringing
light-on-hold = on hold
light-voicemail = { $presence }, voicemail waiting

## Settings

settings = Settings
settings-accounts = Accounts
settings-transport-dns = transport as DNS says
settings-not-registered-yet = not registered yet
settings-does-not-register = does not register
settings-default-for-numbers = · default for numbers
settings-no-password = no password stored: edit and enter it
settings-edit = Edit
settings-remove = Remove
settings-remove-confirm = Remove the account { $account } and its stored password?
settings-no-account = No account: you can still call <code>sip:</code> addresses and the echo test.
settings-add-account = Add an account
settings-calls = Calls
settings-dnd = Do not disturb (callers hear busy)
settings-pause-media = Pause music and videos while a call rings or talks
settings-forward-always = Forward every call to
settings-forward-busy = Forward when busy to
settings-forward-no-answer = Forward when not answered to
settings-off = off
settings-computer = This computer
settings-language = Language
settings-language-system = The system's ({ $language })
settings-hotkey = Answer / hang-up hot key
settings-hotkey-none = none
settings-hotkey-hint = X11 and Windows; Wayland desktops do not let applications take a global key.
settings-notifications = Notifications for incoming and missed calls
settings-close-to-tray = Closing the window keeps Hookswitch in the tray
settings-links-at-once = sip: and tel: links call at once (otherwise they fill the dial pad)
settings-autostart = Start at login, in the tray
settings-support = Support
settings-bundle = Save a support bundle
settings-bundle-hint = One file to attach to a bug report: versions, settings without passwords, devices, the last logs.
settings-bundle-saved = Saved
settings-file = Settings file:
settings-sip-on = · SIP on { $address }

wizard-account = Account { $account }
wizard-add = Add an account
wizard-hint = The details your provider or PBX admin gave you. The password goes to your system keyring, never to a file.
wizard-name = Account name
wizard-display-name = Your name (shown to people you call)
wizard-user = User
wizard-domain = Domain
wizard-password = Password
wizard-more = More: registrar, authentication user, transport
wizard-registrar = Registrar (if not the domain)
wizard-auth-user = Authentication user (if not the user)
wizard-transport = Transport
wizard-transport-auto = Automatic (as the provider's DNS says)
wizard-testing = Testing…
wizard-test = Test
wizard-save = Save
wizard-save-title = Test first: only an account that registers is saved
wizard-cancel = Cancel
wizard-save-anyway = Save anyway
problem-name = A short name: letters, digits, dot, dash or underscore.
problem-user = The user part of your SIP address, without @ or spaces.
problem-domain = A domain or address, e.g. sip.example.com.
problem-registrar = A host or host:port, e.g. pbx.example.com:5060.
problem-password = The password of this SIP account.
probe-registered = Registered: the account works.
probe-wrong-password = The registrar refused the user name or password ({ $detail }). Check both, and the authentication user if your provider gave one.
probe-unknown-user = The registrar does not know this address ({ $detail }). Check the user and domain.
probe-tls-certificate = The registrar's TLS certificate was refused ({ $detail }). Check the host name, or trust your PBX's CA (tls_ca_file in config.toml).
probe-unreachable = The registrar could not be reached ({ $detail }). Check the domain or registrar, the port and the transport, and your network.
probe-refused = The registrar refused the registration: { $detail }.
probe-settings = These settings cannot be used: { $detail }.

## The tray and the notifications (src-tauri)

tray-show = Show Hookswitch
tray-answer = Answer / hang up
tray-dnd = Do not disturb
tray-status = Status
tray-quit = Quit
tray-ringing = Hookswitch: incoming call
tray-in-call = { $count ->
    [one] Hookswitch: one call
   *[other] Hookswitch: { $count } calls
}
tray-offline = Hookswitch: not registered
tray-ready = Hookswitch: ready
tray-registered = Hookswitch: registered ({ $accounts })
tray-with-status = { $text } - { $status }
tray-balance = { $account }: balance { $amount }
tray-balance-unknown = { $account }: balance unknown
tray-balance-low = { $text } (low)
tray-balance-error = { $text } (could not check: { $error })
notify-incoming = Incoming call
notify-missed = Missed call
notify-low-balance = Low balance
notify-message = Message from { $who }
