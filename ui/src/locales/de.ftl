# Hookswitch: Deutsch. Die Schlüssel sind die von en.ftl (die Referenz).

## Das Fenster: Seiten und Statusleiste

app-name = Hookswitch
nav-pages = Seiten
nav-phone = Telefon
nav-history = Verlauf
nav-contacts = Kontakte
nav-messages = Nachrichten
nav-devices = Geräte
nav-settings = Einstellungen
nav-shortcut = { $page } (Alt+{ $key })
nav-missed = { $count ->
    [one] { $count } verpasster Anruf
   *[other] { $count } verpasste Anrufe
}
nav-unread = { $count ->
    [one] { $count } ungelesene Nachricht
   *[other] { $count } ungelesene Nachrichten
}
dismiss = Schließen
announce-incoming = Eingehender Anruf von { $who }

status-not-running = läuft nicht
status-ready = bereit
status-ready-on = bereit auf { $address }
status-dnd = nicht stören
status-voicemail = { $count ->
    [0] neue Sprachnachricht
    [one] { $count } neue Sprachnachricht
   *[other] { $count } neue Sprachnachrichten
}
status-voicemail-title = Mailbox
status-balance-title = { $account }: Guthaben
status-balance-error = Nicht geprüft: { $error }
registration-registered = online
registration-registering = verbindet
registration-failed = offline
registration-unregistered = offline
registration-line = { $account }: { $state }
balance-amount = { $account }: { $amount }
balance-unknown = { $account }: Guthaben unbekannt
balance-low = { $text } (niedrig)
balance-not-current = { $text } (nicht aktuell)

## Die Seite Telefon

phone-page = Telefon
phone-device-dialing = Am Gerät gewählt:
phone-dial-tone = Wählton
phone-other-calls = Weitere Anrufe
phone-on-hold = (gehalten)
phone-in-conference = (in der Konferenz)
phone-show = Zeigen
phone-new-call = Neuer Anruf…
phone-favourites = Favoriten
call-contact = { $name } anrufen, { $address }
call-someone = { $who } anrufen

dial-label = Nummer oder SIP-Adresse
dial-placeholder = Nummer oder sip:benutzer@host
dial-delete = Letztes Zeichen löschen
dial-suggestions = Passende Kontakte
dial-from-directory = Verzeichnis
dial-from = Von
dial-default-account = { $account } (Standard)
dial-pad = Wähltastatur
dial-speed-hint = Gedrückt halten für Kurzwahl
dial-call = Anrufen
dial-redial = Wahlwiederholung
dial-call-title = Anrufen (Eingabetaste); leer: Wahlwiederholung
dial-no-account = Noch kein Konto: Rufen Sie eine beliebige <code>sip:benutzer@host</code> direkt an, oder
dial-check-sound = Ton prüfen:
dial-echo-test = Echotest starten
dial-add-account = Konto hinzufügen
dial-to-take-calls = um Anrufe anzunehmen.
speed-dial-empty = Auf Kurzwahl { $digit } liegt nichts: Geben Sie einem Kontakt diese Taste auf der Seite Kontakte.

call-with = Gespräch mit { $who }
call-on-hold = Gehalten
call-ringing = Es klingelt…
call-calling = Wählt…
call-recording = Aufnahme
call-encrypted = verschlüsselt ({ $how })
call-microphone = Mikrofon
call-speaker = Lautsprecher
call-controls = Gesprächssteuerung
call-mute = Stumm
call-unmute = Stumm aus
call-hold = Halten
call-resume = Fortsetzen
call-keypad = Tastatur
call-transfer = Weiterleiten
call-swap = Makeln
call-merge = Zusammenführen
call-merge-title = Alle hören alle
call-record = Aufnehmen
call-stop-recording = Aufnahme beenden
call-record-title = Beide Seiten des Gesprächs aufnehmen
call-quality = Qualität
call-send-tones = Töne senden
call-sent = Gesendet: { $digits }
call-transfer-to = Weiterleiten an
call-transfer-placeholder = Nummer oder SIP-Adresse
call-connect-with = Verbinden mit { $who }
call-leave-conference = Konferenz verlassen
call-hang-up = Auflegen
call-cancel = Abbrechen
note-progress = { $status } { $reason }
note-hold-refused = Halten abgelehnt ({ $status })
note-resume-refused = Fortsetzen abgelehnt ({ $status })
note-transfer = Weiterleitung: { $status }
note-transfer-done = Weiterleitung: { $status } (fertig)
note-cannot-record = Aufnahme nicht möglich: { $reason }

stats-mos = MOS (Schätzung)
stats-loss = Paketverlust
stats-loss-value = { NUMBER($percent, minimumFractionDigits: 1, maximumFractionDigits: 1) } % ({ $lost })
stats-jitter = Jitter
stats-ms = { NUMBER($ms, maximumFractionDigits: 1) } ms
stats-round-trip = Umlaufzeit
stats-packets = Pakete gesendet / empfangen
stats-packets-value = { $sent } / { $received }
stats-concealed = Verdeckte Rahmen
stats-remote-mos = MOS am anderen Ende

conference = Konferenz
conference-people = Konferenz · { $count } Personen
conference-mute-title = Ihr Mikrofon nur für diese Person

incoming-call = Eingehender Anruf
incoming-waiting = Anklopfen
incoming-answer = Annehmen
incoming-hold-and-answer = Halten und annehmen
incoming-decline = Ablehnen

lamps = Besetztlampen
lamps-extensions = Nebenstellen
lamp-idle = frei
lamp-ringing = klingelt
lamp-busy = besetzt
lamp-unknown = unbekannt
lamp-label = { $name }: { $state }
lamp-label-from = { $name }: { $state }, von { $caller }
lamp-press-pick-up = { $label }, drücken zum Heranholen
lamp-press-call = { $label }, drücken zum Anrufen

presence = Präsenz
presence-my-status = Mein Status
presence-available = Verfügbar
presence-away = Abwesend
presence-busy = Beschäftigt
presence-dnd = Nicht stören
presence-appear-offline = Offline erscheinen
presence-note = Notiz
presence-note-placeholder = Notiz (optional)
presence-set = Setzen
presence-others-see = Andere sehen:
presence-contacts = Kontakte
presence-nobody = Noch niemand beobachtet.
presence-watch-placeholder = Nummer, Name oder sip:benutzer@host
presence-watch-whom = Wen beobachten
presence-watch = Beobachten
presence-stop-watching = { $who } nicht mehr beobachten
availability-available = verfügbar
availability-away = abwesend
availability-busy = beschäftigt
availability-dnd = nicht stören
availability-on-the-phone = am Telefon
availability-offline = offline
availability-unknown = unbekannt

## Verlauf

history = Anrufverlauf
history-show = Zeigen
history-all = Alle
history-missed = Verpasst
history-none = Noch keine Anrufe.
history-outgoing = Ausgehend
history-incoming = Eingehend
history-missed-call = verpasst
history-call = Anrufen
end-local = hier beendet
end-remote = von der Gegenseite beendet
end-cancelled = abgebrochen
end-rejected = abgelehnt
end-timeout = keine Antwort
end-failed = fehlgeschlagen
end-dnd = abgelehnt: nicht stören
end-always = weitergeleitet
end-busy = weitergeleitet: besetzt
end-no-answer = weitergeleitet: keine Antwort

## Kontakte

contacts = Kontakte
contacts-search = Kontakte suchen
contacts-search-placeholder = Namen, Firmen, Nummern suchen
contacts-new = Neuer Kontakt
contacts-book-unreachable = { $book } ist nicht erreichbar ({ $error }); die letzte Kopie wird gezeigt.
contacts-directory-unreachable = Das Verzeichnis ist nicht erreichbar: { $error }
contacts-nobody-found = Niemand gefunden.
contacts-none = Noch keine Kontakte.
contacts-favourite = Favorit
contacts-key = Taste { $digit }
contacts-star = Favorit
contacts-unstar = Kein Favorit
contacts-edit = Bearbeiten
contacts-delete = Löschen
contacts-delete-confirm = { $name } löschen?
contacts-imported = { $added } hinzugefügt, { $updated } aktualisiert
contacts-not-imported = { $text }; nicht importiert: { $errors }
contacts-not-synced = Nicht abgeglichen: { $errors }
contacts-synced = Adressbücher abgeglichen.
contacts-books = Adressbücher
contacts-book-line = { $book } · { $count ->
    [one] { $count } Kontakt
   *[other] { $count } Kontakte
}
contacts-read-only = schreibgeschützt
contacts-book-error = nicht erreichbar: { $error }
contacts-syncing = Gleiche ab…
contacts-sync-now = Jetzt abgleichen
contacts-import = vCard importieren
contacts-export = Alle als vCard exportieren

contact-new = Neuer Kontakt
contact-edit = { $name } bearbeiten
contact-name = Name
contact-organisation = Organisation
contact-department = Abteilung
contact-addresses = Nummern und SIP-Adressen
contact-label = Bezeichnung
contact-label-placeholder = Bezeichnung
contact-sip-address = SIP-Adresse
contact-number = Nummer
contact-remove = Entfernen
contact-add-number = Nummer hinzufügen
contact-add-sip = SIP-Adresse hinzufügen
contact-favourite = Favorit (zuerst auf der Seite Telefon)
contact-speed-dial = Kurzwahl
contact-speed-none = keine
contact-save = Speichern
contact-cancel = Abbrechen
label-work = geschäftlich
label-mobile = mobil
label-home = privat
label-main = Zentrale
label-fax = Fax

## Nachrichten

messages = Nachrichten
messages-new = Neue Nachricht
messages-none = Noch keine Nachrichten.
messages-conversation = { $who }{ $unread ->
    [0] {""}
   *[other] , { $unread } ungelesen
}
messages-you = Sie: { $text }
messages-back = ← Unterhaltungen
messages-call = Anrufen
messages-to = An
messages-to-placeholder = Nummer, Name oder sip:benutzer@host
messages-typing = schreibt…
messages-message = Nachricht
messages-send = Senden
delivery-sending = wird gesendet…
delivery-delivered = zugestellt
delivery-failed = nicht zugestellt
delivery-failed-why = nicht zugestellt: { $why }

## Geräte

devices = Geräte
devices-sound = Ton
devices-microphone = Mikrofon
devices-speaker = Lautsprecher
devices-ring-on = Eingehende Anrufe klingeln auf
devices-no-ring = Kein Klingelton (nur der Klingler des Headsets)
devices-automatic = Automatisch (das eigene des Headsets, sonst das des Systems)
devices-system-default = Standard des Systems
devices-none = Keines
devices-next-call = Der nächste Anruf nutzt sie; ein laufender Anruf behält seine.
devices-inputs-outputs = Ein- und Ausgänge ({ $count })
devices-input = Eingang
devices-output = Ausgang
devices-default = Standard
devices-headsets = Headsets und Hörer
devices-no-headset = Kein Gerät zur Anrufsteuerung gefunden. Schließen Sie ein USB-Headset oder einen USB-Hörer an.
devices-unnamed = Unbenanntes Gerät
devices-profile = Profil { $profile }
devices-sound-card = Ton { $card }
devices-leds = LEDs: { $leds }
devices-leds-not-yet = noch nicht geschrieben
devices-busylights = Busylights
devices-no-busylight = Kein Busylight gefunden. Leuchten von kuando, Luxafor, Embrava Blynclight, BlinkStick und blink(1) zeigen Ihre Präsenz und Anrufe, sobald sie angeschlossen sind.
devices-busylight = Busylight
devices-shows = Zeigt: { $what }
devices-shows-nothing = noch nichts
devices-test = Testen
devices-looks = Was Busylights zeigen
devices-looks-hint = Eine Farbe (green, yellow, red, purple, blue, orange, magenta, cyan, white, off oder #rrggbb), dann steady, flash, pulse oder wink; die Mailbox darf "presence" für die Präsenzfarbe nutzen.
look-available = Verfügbar
look-away = Abwesend
look-busy = Beschäftigt
look-dnd = Nicht stören
look-offline = Offline
look-ringing = Ein Anruf klingelt
look-call = Im Gespräch
look-hold = Gehalten
look-voicemail = Sprachnachricht wartet
devices-ring-too = Leuchten mit Lautsprecher klingeln auch
devices-tune = Ihre Melodie
devices-volume = Lautstärke (%)
devices-save = Speichern
devices-looks-saved = Gespeichert: das Telefon übernimmt sie, wenn kein Gespräch läuft.
devices-unusable = Gefunden, aber nicht nutzbar
devices-udev-installed = Das Hookswitch-Paket hat die udev-Regel installiert (<code>{ $path }</code>): Stecken Sie das Gerät erneut ein. Ein Headset eines Herstellers, den sie nicht nennt, braucht eine eigene Zeile in <code>/etc/udev/rules.d/</code>, wie die der Regel:
devices-udev-needed = Telefoniegeräte brauchen eine udev-Regel, die Ihnen erlaubt, sie zu öffnen. Speichern Sie dies als <code>70-hookswitch.rules</code>:
devices-udev-then = führen Sie dann aus und stecken Sie das Gerät erneut ein:
devices-test-headset = Mein Headset testen
devices-test-intro = Drücken Sie eine Taste an Ihrem Gerät und sehen Sie, dass Hookswitch sie hört; rufen Sie dann den Echotest an, um sich darüber selbst zu hören.
devices-test-start = Start
devices-test-press = Drücken Sie die Gesprächs-, Stumm- oder Lautstärketaste Ihres Headsets oder heben Sie den Hörer ab…
devices-test-heard = Gehört: { $what }. Rufen Sie jetzt den Echotest an und sprechen Sie: Sie hören sich eine Sekunde später.
devices-test-echo = Echotest anrufen
devices-test-done = Fertig
devices-live = Live-Ansicht
devices-activity-pressed = Gerät { $device }: gedrückt { $input }
devices-activity-leds = Gerät { $device }: LEDs { $leds } (Report { $report })
devices-activity-none = Tastendrücke und LED-Änderungen erscheinen hier, sobald sie geschehen.
leds-all-off = alle aus
light-in-call = im Gespräch
light-ringing = klingelt
light-on-hold = gehalten
light-voicemail = { $presence }, Sprachnachricht wartet

## Einstellungen

settings = Einstellungen
settings-accounts = Konten
settings-transport-dns = Transport laut DNS
settings-not-registered-yet = noch nicht registriert
settings-does-not-register = registriert sich nicht
settings-default-for-numbers = · Standard für Nummern
settings-no-password = kein Passwort gespeichert: bearbeiten und eingeben
settings-edit = Bearbeiten
settings-remove = Entfernen
settings-remove-confirm = Das Konto { $account } und sein gespeichertes Passwort entfernen?
settings-no-account = Kein Konto: Sie können trotzdem <code>sip:</code>-Adressen und den Echotest anrufen.
settings-add-account = Konto hinzufügen
settings-calls = Anrufe
settings-dnd = Nicht stören (Anrufer hören besetzt)
settings-pause-media = Musik und Videos anhalten, solange ein Anruf klingelt oder läuft
settings-forward-always = Jeden Anruf weiterleiten an
settings-forward-busy = Bei besetzt weiterleiten an
settings-forward-no-answer = Bei keiner Antwort weiterleiten an
settings-off = aus
settings-computer = Dieser Computer
settings-language = Sprache
settings-language-system = Die des Systems ({ $language })
settings-hotkey = Tastenkürzel für Annehmen / Auflegen
settings-hotkey-none = keines
settings-hotkey-hint = X11 und Windows; Wayland-Desktops lassen Anwendungen keine globale Taste belegen.
settings-notifications = Benachrichtigungen für eingehende und verpasste Anrufe
settings-close-to-tray = Beim Schließen des Fensters bleibt Hookswitch im Infobereich
settings-links-at-once = sip:- und tel:-Links rufen sofort an (sonst füllen sie die Wähltastatur)
settings-autostart = Bei der Anmeldung im Infobereich starten
settings-support = Unterstützung
settings-bundle = Support-Paket speichern
settings-bundle-hint = Eine Datei für einen Fehlerbericht: Versionen, Einstellungen ohne Passwörter, Geräte, die letzten Protokolle.
settings-bundle-saved = Gespeichert
settings-file = Einstellungsdatei:
settings-sip-on = · SIP auf { $address }

wizard-account = Konto { $account }
wizard-add = Konto hinzufügen
wizard-hint = Die Angaben Ihres Anbieters oder TK-Administrators. Das Passwort kommt in den Schlüsselbund Ihres Systems, nie in eine Datei.
wizard-name = Kontoname
wizard-display-name = Ihr Name (den Angerufene sehen)
wizard-user = Benutzer
wizard-domain = Domäne
wizard-password = Passwort
wizard-more = Mehr: Registrar, Authentifizierungsbenutzer, Transport
wizard-registrar = Registrar (falls nicht die Domäne)
wizard-auth-user = Authentifizierungsbenutzer (falls nicht der Benutzer)
wizard-transport = Transport
wizard-transport-auto = Automatisch (wie das DNS des Anbieters sagt)
wizard-testing = Teste…
wizard-test = Testen
wizard-save = Speichern
wizard-save-title = Erst testen: nur ein Konto, das sich registriert, wird gespeichert
wizard-cancel = Abbrechen
wizard-save-anyway = Trotzdem speichern
problem-name = Ein kurzer Name: Buchstaben, Ziffern, Punkt, Bindestrich oder Unterstrich.
problem-user = Der Benutzerteil Ihrer SIP-Adresse, ohne @ oder Leerzeichen.
problem-domain = Eine Domäne oder Adresse, z. B. sip.example.com.
problem-registrar = Ein Host oder Host:Port, z. B. pbx.example.com:5060.
problem-password = Das Passwort dieses SIP-Kontos.
probe-registered = Registriert: das Konto funktioniert.
probe-wrong-password = Der Registrar hat Benutzername oder Passwort abgelehnt ({ $detail }). Prüfen Sie beide, und den Authentifizierungsbenutzer, falls Ihr Anbieter einen genannt hat.
probe-unknown-user = Der Registrar kennt diese Adresse nicht ({ $detail }). Prüfen Sie Benutzer und Domäne.
probe-tls-certificate = Das TLS-Zertifikat des Registrars wurde abgelehnt ({ $detail }). Prüfen Sie den Hostnamen, oder vertrauen Sie der CA Ihrer TK-Anlage (tls_ca_file in config.toml).
probe-unreachable = Der Registrar war nicht erreichbar ({ $detail }). Prüfen Sie Domäne oder Registrar, Port und Transport sowie Ihr Netz.
probe-refused = Der Registrar hat die Registrierung abgelehnt: { $detail }.
probe-settings = Diese Einstellungen sind nicht nutzbar: { $detail }.

## Infobereich und Benachrichtigungen (src-tauri)

tray-show = Hookswitch zeigen
tray-answer = Annehmen / Auflegen
tray-dnd = Nicht stören
tray-status = Status
tray-quit = Beenden
tray-ringing = Hookswitch: eingehender Anruf
tray-in-call = { $count ->
    [one] Hookswitch: ein Gespräch
   *[other] Hookswitch: { $count } Gespräche
}
tray-offline = Hookswitch: nicht registriert
tray-ready = Hookswitch: bereit
tray-registered = Hookswitch: registriert ({ $accounts })
tray-with-status = { $text } - { $status }
tray-balance = { $account }: Guthaben { $amount }
tray-balance-unknown = { $account }: Guthaben unbekannt
tray-balance-low = { $text } (niedrig)
tray-balance-error = { $text } (nicht geprüft: { $error })
notify-incoming = Eingehender Anruf
notify-missed = Verpasster Anruf
notify-low-balance = Guthaben niedrig
notify-message = Nachricht von { $who }
