# Hookswitch : français. Les clés sont celles de en.ftl (la référence).

## La fenêtre : pages et barre d'état

app-name = Hookswitch
nav-pages = Pages
nav-phone = Téléphone
nav-history = Historique
nav-contacts = Contacts
nav-messages = Messages
nav-devices = Appareils
nav-settings = Réglages
nav-shortcut = { $page } (Alt+{ $key })
nav-missed = { $count ->
    [one] { $count } appel manqué
   *[other] { $count } appels manqués
}
nav-unread = { $count ->
    [one] { $count } message non lu
   *[other] { $count } messages non lus
}
dismiss = Fermer
announce-incoming = Appel entrant de { $who }

status-not-running = arrêté
status-ready = prêt
status-ready-on = prêt sur { $address }
status-dnd = ne pas déranger
status-voicemail = { $count ->
    [0] nouveau message vocal
    [one] { $count } nouveau message vocal
   *[other] { $count } nouveaux messages vocaux
}
status-voicemail-title = Messagerie vocale
status-balance-title = { $account } : solde
status-balance-error = Vérification impossible : { $error }
registration-registered = en ligne
registration-registering = connexion
registration-failed = hors ligne
registration-unregistered = hors ligne
registration-line = { $account } : { $state }
balance-amount = { $account } : { $amount }
balance-unknown = { $account } : solde inconnu
balance-low = { $text } (bas)
balance-not-current = { $text } (pas à jour)

## La page Téléphone

phone-page = Téléphone
phone-device-dialing = Numérotation sur votre appareil :
phone-dial-tone = tonalité
phone-other-calls = Autres appels
phone-on-hold = (en attente)
phone-in-conference = (dans la conférence)
phone-show = Afficher
phone-new-call = Nouvel appel…
phone-favourites = Favoris
call-contact = Appeler { $name }, { $address }
call-someone = Appeler { $who }

dial-label = Numéro ou adresse SIP
dial-placeholder = Numéro ou sip:utilisateur@hôte
dial-delete = Effacer le dernier caractère
dial-suggestions = Contacts correspondants
dial-from-directory = annuaire
dial-from = De
dial-default-account = { $account } (par défaut)
dial-pad = Clavier
dial-speed-hint = Maintenir pour la numérotation rapide
dial-call = Appeler
dial-redial = Rappeler
dial-call-title = Appeler (Entrée) ; vide : rappeler le dernier numéro
dial-no-account = Pas encore de compte : appelez directement n'importe quelle <code>sip:utilisateur@hôte</code>, ou
dial-check-sound = Vérifiez votre son :
dial-echo-test = lancer le test d'écho
dial-add-account = Ajoutez un compte
dial-to-take-calls = pour recevoir des appels.
speed-dial-empty = Rien sur la numérotation rapide { $digit } : attribuez cette touche à un contact dans la page Contacts.

call-with = Appel avec { $who }
call-on-hold = En attente
call-ringing = Ça sonne…
call-calling = Appel en cours…
call-recording = Enregistrement
call-encrypted = chiffré ({ $how })
call-microphone = Micro
call-speaker = Haut-parleur
call-controls = Commandes d'appel
call-mute = Muet
call-unmute = Réactiver le micro
call-hold = Attente
call-resume = Reprendre
call-keypad = Clavier
call-transfer = Transférer
call-swap = Basculer
call-merge = Fusionner
call-merge-title = Tout le monde entend tout le monde
call-record = Enregistrer
call-stop-recording = Arrêter l'enregistrement
call-record-title = Enregistrer les deux côtés de l'appel
call-quality = Qualité
call-send-tones = Envoyer des tonalités
call-sent = Envoyé : { $digits }
call-transfer-to = Transférer à
call-transfer-placeholder = Numéro ou adresse SIP
call-connect-with = Mettre en relation avec { $who }
call-leave-conference = Quitter la conférence
call-hang-up = Raccrocher
call-cancel = Annuler
note-progress = { $status } { $reason }
note-hold-refused = mise en attente refusée ({ $status })
note-resume-refused = reprise refusée ({ $status })
note-transfer = transfert : { $status }
note-transfer-done = transfert : { $status } (terminé)
note-cannot-record = enregistrement impossible : { $reason }

stats-mos = MOS (estimation)
stats-loss = Perte de paquets
stats-loss-value = { NUMBER($percent, minimumFractionDigits: 1, maximumFractionDigits: 1) } % ({ $lost })
stats-jitter = Gigue
stats-ms = { NUMBER($ms, maximumFractionDigits: 1) } ms
stats-round-trip = Aller-retour
stats-packets = Paquets envoyés / reçus
stats-packets-value = { $sent } / { $received }
stats-concealed = Trames masquées
stats-remote-mos = MOS à l'autre bout

conference = Conférence
conference-people = Conférence · { $count } personnes
conference-mute-title = Votre micro pour cette personne seulement

incoming-call = Appel entrant
incoming-waiting = Double appel
incoming-answer = Répondre
incoming-hold-and-answer = Mettre en attente et répondre
incoming-decline = Refuser

lamps = Voyants d'occupation
lamps-extensions = Postes
lamp-idle = libre
lamp-ringing = sonne
lamp-busy = occupé
lamp-unknown = inconnu
lamp-label = { $name } : { $state }
lamp-label-from = { $name } : { $state }, de { $caller }
lamp-press-pick-up = { $label }, appuyer pour intercepter
lamp-press-call = { $label }, appuyer pour appeler

presence = Présence
presence-my-status = Mon statut
presence-available = Disponible
presence-away = Absent
presence-busy = Occupé
presence-dnd = Ne pas déranger
presence-appear-offline = Apparaître hors ligne
presence-note = Note
presence-note-placeholder = Note (facultative)
presence-set = Définir
presence-others-see = Les autres voient :
presence-contacts = Contacts
presence-nobody = Personne n'est encore suivi.
presence-watch-placeholder = Numéro, nom ou sip:utilisateur@hôte
presence-watch-whom = Qui suivre
presence-watch = Suivre
presence-stop-watching = Ne plus suivre { $who }
availability-available = disponible
availability-away = absent
availability-busy = occupé
availability-dnd = ne pas déranger
availability-on-the-phone = au téléphone
availability-offline = hors ligne
availability-unknown = inconnu

## Historique

history = Historique des appels
history-show = Afficher
history-all = Tous
history-missed = Manqués
history-none = Aucun appel pour l'instant.
history-outgoing = Sortant
history-incoming = Entrant
history-missed-call = manqué
history-call = Appeler
end-local = terminé ici
end-remote = terminé par l'autre côté
end-cancelled = annulé
end-rejected = refusé
end-timeout = pas de réponse
end-failed = échoué
end-dnd = refusé : ne pas déranger
end-always = renvoyé
end-busy = renvoyé : occupé
end-no-answer = renvoyé : pas de réponse

## Contacts

contacts = Contacts
contacts-search = Chercher des contacts
contacts-search-placeholder = Chercher noms, sociétés, numéros
contacts-new = Nouveau contact
contacts-book-unreachable = { $book } est injoignable ({ $error }) ; sa dernière copie est affichée.
contacts-directory-unreachable = L'annuaire est injoignable : { $error }
contacts-nobody-found = Personne trouvé.
contacts-none = Aucun contact pour l'instant.
contacts-favourite = Favori
contacts-key = touche { $digit }
contacts-star = Favori
contacts-unstar = Retirer des favoris
contacts-edit = Modifier
contacts-delete = Supprimer
contacts-delete-confirm = Supprimer { $name } ?
contacts-imported = { $added } ajoutés, { $updated } mis à jour
contacts-not-imported = { $text } ; non importés : { $errors }
contacts-not-synced = Non synchronisés : { $errors }
contacts-synced = Carnets d'adresses synchronisés.
contacts-books = Carnets d'adresses
contacts-book-line = { $book } · { $count ->
    [one] { $count } contact
   *[other] { $count } contacts
}
contacts-read-only = lecture seule
contacts-book-error = injoignable : { $error }
contacts-syncing = Synchronisation…
contacts-sync-now = Synchroniser
contacts-import = Importer une vCard
contacts-export = Tout exporter en vCard

contact-new = Nouveau contact
contact-edit = Modifier { $name }
contact-name = Nom
contact-organisation = Organisation
contact-department = Service
contact-addresses = Numéros et adresses SIP
contact-label = Libellé
contact-label-placeholder = libellé
contact-sip-address = Adresse SIP
contact-number = Numéro
contact-remove = Retirer
contact-add-number = Ajouter un numéro
contact-add-sip = Ajouter une adresse SIP
contact-favourite = Favori (affiché en premier sur la page Téléphone)
contact-speed-dial = Numérotation rapide
contact-speed-none = aucune
contact-save = Enregistrer
contact-cancel = Annuler
label-work = travail
label-mobile = mobile
label-home = domicile
label-main = standard
label-fax = fax

## Messages

messages = Messages
messages-new = Nouveau message
messages-none = Aucun message pour l'instant.
messages-conversation = { $who }{ $unread ->
    [0] {""}
   *[other] , { $unread } non lus
}
messages-you = Vous : { $text }
messages-back = ← Conversations
messages-call = Appeler
messages-to = À
messages-to-placeholder = numéro, nom ou sip:utilisateur@hôte
messages-typing = écrit…
messages-message = Message
messages-send = Envoyer
delivery-sending = envoi…
delivery-delivered = remis
delivery-failed = non remis
delivery-failed-why = non remis : { $why }

## Appareils

devices = Appareils
devices-sound = Son
devices-microphone = Micro
devices-speaker = Haut-parleur
devices-ring-on = Faire sonner les appels entrants sur
devices-no-ring = Pas de sonnerie (seulement celle du casque)
devices-automatic = Automatique (celui du casque, sinon celui du système)
devices-system-default = Celui du système par défaut
devices-none = Aucun
devices-next-call = Le prochain appel les utilise ; un appel en cours garde les siens.
devices-inputs-outputs = Entrées et sorties ({ $count })
devices-input = entrée
devices-output = sortie
devices-default = par défaut
devices-headsets = Casques et combinés
devices-no-headset = Aucun appareil de contrôle d'appel trouvé. Branchez un casque ou un combiné USB.
devices-unnamed = Appareil sans nom
devices-profile = profil { $profile }
devices-sound-card = son { $card }
devices-leds = Voyants : { $leds }
devices-leds-not-yet = pas encore écrits
devices-busylights = Voyants de statut
devices-no-busylight = Aucun voyant de statut trouvé. Les voyants kuando, Luxafor, Embrava Blynclight, BlinkStick et blink(1) montrent votre présence et vos appels dès qu'ils sont branchés.
devices-busylight = Voyant de statut
devices-shows = Affiche : { $what }
devices-shows-nothing = rien pour l'instant
devices-test = Tester
devices-looks = Ce que montrent les voyants de statut
devices-looks-hint = Une couleur (green, yellow, red, purple, blue, orange, magenta, cyan, white, off ou #rrggbb), puis steady, flash, pulse ou wink ; la messagerie peut utiliser "presence" pour la couleur de présence.
look-available = Disponible
look-away = Absent
look-busy = Occupé
look-dnd = Ne pas déranger
look-offline = Hors ligne
look-ringing = Un appel sonne
look-call = En communication
look-hold = En attente
look-voicemail = Message vocal en attente
devices-ring-too = Les voyants avec haut-parleur sonnent aussi
devices-tune = Leur mélodie
devices-volume = Volume (%)
devices-save = Enregistrer
devices-looks-saved = Enregistré : le téléphone les prend quand aucun appel n'est en cours.
devices-unusable = Trouvés mais inutilisables
devices-udev-installed = Le paquet Hookswitch a installé la règle udev (<code>{ $path }</code>) : rebranchez l'appareil. Un casque d'un fabricant qu'elle ne nomme pas a besoin de sa propre ligne dans <code>/etc/udev/rules.d/</code>, comme celles de la règle :
devices-udev-needed = Les appareils de téléphonie ont besoin d'une règle udev qui vous permet de les ouvrir. Enregistrez ceci sous <code>70-hookswitch.rules</code> :
devices-udev-then = puis lancez, et rebranchez l'appareil :
devices-test-headset = Tester mon casque
devices-test-intro = Appuyez sur un bouton de votre appareil et voyez que Hookswitch l'entend ; puis appelez le test d'écho pour vous entendre à travers lui.
devices-test-start = Commencer
devices-test-press = Appuyez sur le bouton d'appel, de sourdine ou de volume de votre casque, ou décrochez le combiné…
devices-test-heard = Entendu : { $what }. Appelez maintenant le test d'écho et parlez : vous vous entendez une seconde plus tard.
devices-test-echo = Appeler le test d'écho
devices-test-done = Terminé
devices-live = Vue en direct
devices-activity-pressed = appareil { $device } : appui { $input }
devices-activity-leds = appareil { $device } : voyants { $leds } (rapport { $report })
devices-activity-none = Les appuis sur les boutons et les changements de voyants s'affichent ici dès qu'ils arrivent.
leds-all-off = tous éteints
light-in-call = en communication
light-ringing = sonne
light-on-hold = en attente
light-voicemail = { $presence }, message vocal en attente

## Réglages

settings = Réglages
settings-accounts = Comptes
settings-transport-dns = transport selon le DNS
settings-not-registered-yet = pas encore enregistré
settings-does-not-register = ne s'enregistre pas
settings-default-for-numbers = · par défaut pour les numéros
settings-no-password = aucun mot de passe enregistré : modifiez et saisissez-le
settings-edit = Modifier
settings-remove = Supprimer
settings-remove-confirm = Supprimer le compte { $account } et son mot de passe enregistré ?
settings-no-account = Aucun compte : vous pouvez quand même appeler des adresses <code>sip:</code> et le test d'écho.
settings-add-account = Ajouter un compte
settings-calls = Appels
settings-dnd = Ne pas déranger (les appelants entendent occupé)
settings-pause-media = Mettre en pause musique et vidéos pendant qu'un appel sonne ou dure
settings-forward-always = Renvoyer tous les appels vers
settings-forward-busy = Renvoyer si occupé vers
settings-forward-no-answer = Renvoyer sans réponse vers
settings-off = désactivé
settings-computer = Cet ordinateur
settings-language = Langue
settings-language-system = Celle du système ({ $language })
settings-hotkey = Raccourci pour répondre / raccrocher
settings-hotkey-none = aucun
settings-hotkey-hint = X11 et Windows ; les bureaux Wayland ne laissent pas les applications prendre une touche globale.
settings-notifications = Notifications des appels entrants et manqués
settings-close-to-tray = Fermer la fenêtre garde Hookswitch dans la zone de notification
settings-links-at-once = Les liens sip: et tel: appellent tout de suite (sinon ils remplissent le clavier)
settings-autostart = Démarrer à la connexion, dans la zone de notification
settings-support = Assistance
settings-bundle = Enregistrer un paquet d'assistance
settings-bundle-hint = Un fichier à joindre à un rapport de bogue : versions, réglages sans mots de passe, appareils, les derniers journaux.
settings-bundle-saved = Enregistré
settings-file = Fichier de réglages :
settings-sip-on = · SIP sur { $address }

wizard-account = Compte { $account }
wizard-add = Ajouter un compte
wizard-hint = Les informations données par votre opérateur ou l'administrateur de votre PBX. Le mot de passe va dans le trousseau de votre système, jamais dans un fichier.
wizard-name = Nom du compte
wizard-display-name = Votre nom (montré aux personnes que vous appelez)
wizard-user = Utilisateur
wizard-domain = Domaine
wizard-password = Mot de passe
wizard-more = Plus : registrar, utilisateur d'authentification, transport
wizard-registrar = Registrar (si ce n'est pas le domaine)
wizard-auth-user = Utilisateur d'authentification (si ce n'est pas l'utilisateur)
wizard-transport = Transport
wizard-transport-auto = Automatique (selon le DNS de l'opérateur)
wizard-testing = Test…
wizard-test = Tester
wizard-save = Enregistrer
wizard-save-title = Testez d'abord : seul un compte qui s'enregistre est gardé
wizard-cancel = Annuler
wizard-save-anyway = Enregistrer quand même
problem-name = Un nom court : lettres, chiffres, point, tiret ou tiret bas.
problem-user = La partie utilisateur de votre adresse SIP, sans @ ni espaces.
problem-domain = Un domaine ou une adresse, p. ex. sip.example.com.
problem-registrar = Un hôte ou hôte:port, p. ex. pbx.example.com:5060.
problem-password = Le mot de passe de ce compte SIP.
probe-registered = Enregistré : le compte fonctionne.
probe-wrong-password = Le registrar a refusé le nom d'utilisateur ou le mot de passe ({ $detail }). Vérifiez les deux, et l'utilisateur d'authentification si votre opérateur en a donné un.
probe-unknown-user = Le registrar ne connaît pas cette adresse ({ $detail }). Vérifiez l'utilisateur et le domaine.
probe-tls-certificate = Le certificat TLS du registrar a été refusé ({ $detail }). Vérifiez le nom d'hôte, ou faites confiance à l'autorité de votre PBX (tls_ca_file dans config.toml).
probe-unreachable = Le registrar est injoignable ({ $detail }). Vérifiez le domaine ou le registrar, le port et le transport, et votre réseau.
probe-refused = Le registrar a refusé l'enregistrement : { $detail }.
probe-settings = Ces réglages sont inutilisables : { $detail }.

## Zone de notification et notifications (src-tauri)

tray-show = Afficher Hookswitch
tray-answer = Répondre / raccrocher
tray-dnd = Ne pas déranger
tray-status = Statut
tray-quit = Quitter
tray-ringing = Hookswitch : appel entrant
tray-in-call = { $count ->
    [one] Hookswitch : un appel
   *[other] Hookswitch : { $count } appels
}
tray-offline = Hookswitch : non enregistré
tray-ready = Hookswitch : prêt
tray-registered = Hookswitch : enregistré ({ $accounts })
tray-with-status = { $text } - { $status }
tray-balance = { $account } : solde { $amount }
tray-balance-unknown = { $account } : solde inconnu
tray-balance-low = { $text } (bas)
tray-balance-error = { $text } (vérification impossible : { $error })
notify-incoming = Appel entrant
notify-missed = Appel manqué
notify-low-balance = Solde bas
notify-message = Message de { $who }
