// i18n.js: every word the console shows, in French and English (one dictionary), the choice of
// language (French by default; English when the browser prefers it; the visitor's own choice is
// remembered), and number, size and date formats of that language.
//
// t(key, { name: 'x' }) gives the text of `key` with {name} replaced; '' when the key is unknown (the
// caller may then fall back to the raw value, e.g. an action the dictionary does not know). The texts
// of some pages live in their own file (i18n_directory.js) and are merged in here.
import directoryTexts from './i18n_directory.js';

const dictionary = {
  fr: {
    'nav.skip': 'Aller au contenu',
    'nav.campaigns': 'Campagnes',
    'nav.mailboxes': 'Plus grosses boîtes',
    'nav.attachments': 'Plus grosses pièces jointes',
    'nav.duplicates': 'Doublons',
    'nav.failures': 'Échecs',
    'nav.language': 'Langue',
    'nav.logout': 'Se déconnecter',
    'nav.whoami': '{login} ({role})',
    'role.admin': 'administrateur',
    'role.viewer': 'lecture seule',

    'login.title': 'Connexion à la console',
    'login.login': 'Identifiant',
    'login.password': 'Mot de passe',
    'login.submit': 'Se connecter',
    'login.missing': 'Saisissez votre identifiant et votre mot de passe.',
    'login.bad_credentials': 'Identifiant ou mot de passe incorrect.',
    'login.disabled': 'Ce compte est désactivé. Adressez-vous à un administrateur.',
    'login.throttled': 'Trop de tentatives. Réessayez dans {seconds} s.',
    'login.retry_now': 'Vous pouvez réessayer.',
    'login.logged_out': 'Vous êtes déconnecté.',
    'login.expired': 'Votre session a expiré : reconnectez-vous.',

    'common.loading': 'Chargement…',
    'common.none': 'Aucun élément.',
    'common.cancel': 'Annuler',
    'common.team': 'Équipe',
    'common.no_team': '(sans équipe)',
    'common.mailbox': 'Boîte aux lettres',
    'common.rule': 'Règle',
    'common.action': 'Action',

    'error.network': 'Le serveur ne répond pas. Vérifiez la connexion puis réessayez.',
    'error.forbidden': 'Votre rôle ne permet pas cette action.',
    'error.forbidden_title': 'Accès refusé',
    'error.conflict': 'Impossible pour le moment :',
    'error.not_found': 'Introuvable',
    'error.server': 'Erreur du serveur. Réessayez ; si elle persiste, consultez le journal du serveur.',

    'state.draft': 'Brouillon',
    'state.crawling': 'Inventaire',
    'state.proposing': 'Propositions',
    'state.notifying': 'Envoi des e-mails',
    'state.collecting': 'Décisions des agents',
    'state.applying': 'Application',
    'state.closed': 'Clôturée',

    'action.detach': 'Détacher',
    'action.archive': 'Archiver',
    'action.delete': 'Supprimer',
    'approval.auto': 'automatique',
    'approval.opt-out': 'sauf refus',
    'approval.opt-in': 'sur accord',
    'rule.older_than': 'plus ancien que {age}',
    'rule.duplicates_only': 'doublons seulement',

    'campaigns.title': 'Campagnes',
    'campaigns.caption': 'Campagnes, des plus récentes aux plus anciennes',
    'campaigns.new': 'Nouvelle campagne',
    'campaigns.empty': 'Aucune campagne pour l’instant.',

    'campaign.name': 'Nom',
    'campaign.state': 'État',
    'campaign.target': 'Objectif',
    'campaign.starts': 'Début',
    'campaign.deadline': 'Date limite',
    'campaign.deadline_passed': 'dépassée',
    'campaign.created': 'Créée le',
    'campaign.grace_days': 'Délai de grâce (jours)',
    'campaign.language': 'Langue des e-mails',
    'campaign.scope': 'Périmètre',
    'campaign.scope_all': 'toutes les boîtes',
    'campaign.steps': 'Étapes de la campagne',
    'campaign.whatif': 'Simuler (what-if)',
    'campaign.launch': 'Lancer',
    'campaign.notify': 'Envoyer les e-mails',
    'campaign.apply': 'Appliquer',
    'campaign.undo': 'Annuler la campagne',
    'campaign.close': 'Clôturer',
    'campaign.viewer_note': 'Lecture seule : les actions sont réservées aux administrateurs.',
    'campaign.activity': 'Activité en cours',
    'campaign.no_job': 'Aucune tâche pour cette campagne.',
    'campaign.jobs': 'Dernières tâches',
    'campaign.history': 'Historique',
    'campaign.progress': 'Avancement',
    'campaign.towards_target': 'Approuvé, vers l’objectif de {target}',
    'campaign.notifications': 'E-mails aux agents',
    'campaign.by_team': 'Par équipe',
    'campaign.job_started': 'Tâche « {kind} » lancée.',
    'campaign.closed_ok': 'Campagne clôturée.',

    'page.title': 'Page de progression',
    'page.intro': 'La page publique d’avancement pour l’intranet : chiffres et classement des équipes, sans données personnelles, mise à jour en direct.',
    'page.mode': 'Accès',
    'page.mode.off': 'désactivée',
    'page.mode.public': 'publique, sans connexion',
    'page.mode.link': 'derrière un lien secret',
    'page.changed': 'Modifié le',
    'page.share': 'Adresse à partager',
    'page.open': 'Ouvrir la page',
    'page.off_hint': 'La page n’existe pas tant qu’elle est désactivée.',
    'page.link_once': 'Copiez ce lien maintenant : il ne sera plus affiché. En émettre un nouveau révoque celui-ci.',
    'page.link_hidden': 'Le lien a été affiché lors de son émission ; « Nouveau lien secret » en émet un autre et révoque l’ancien.',
    'page.set_off': 'Désactiver',
    'page.set_public': 'Rendre publique',
    'page.set_link': 'Nouveau lien secret',
    'page.saved': 'Page de progression : {mode}.',

    'counts.proposed': 'Proposé',
    'counts.approved': 'Approuvé',
    'counts.refused': 'Refusé',
    'counts.pending': 'En attente',
    'counts.freed': 'Libéré',
    'counts.items': '{n} élément(s)',
    'counts.measured': 'mesuré sur les serveurs',
    'counts.estimated': 'estimé',
    'notes.agents': 'Agents',
    'notes.sent': 'Envoyés',
    'notes.pending': 'En attente',
    'notes.failed': 'En échec',

    'job.kind.launch': 'Inventaire et plan',
    'job.kind.notify': 'Envoi des e-mails',
    'job.kind.apply': 'Application',
    'job.kind.undo': 'Annulation',
    'job.kind.retry': 'Nouvelle tentative',
    'job.kind.whatif': 'Simulation',
    'job.kind.close': 'Clôture',
    'job.state.queued': 'en file',
    'job.state.running': 'en cours',
    'job.state.done': 'terminée',
    'job.state.failed': 'échouée',
    'job.state.interrupted': 'interrompue',
    'job.progress.launch': 'Boîtes inventoriées',
    'job.progress.notify': 'E-mails',
    'job.progress.apply': 'Actions',
    'job.progress.undo': 'Actions annulées',
    'job.progress.retry': 'Actions',
    'job.skipped': '{n} ignorées',
    'job.failed_count': '{n} en échec',
    'job.by': 'Par',
    'job.started': 'Début',
    'job.finished': 'Fin',
    'job.result': 'Résultat',
    'job.kind_label': 'Tâche',
    'job.state_label': 'État',

    'history.at': 'Date',
    'history.step': 'Étape',
    'history.change': 'Changement',
    'history.detail': 'Détail',

    'confirm.notify.title': 'Envoyer les e-mails ?',
    'confirm.notify.text': 'Chaque agent concerné par « {name} » recevra un e-mail avec le lien vers ses propositions. Ensuite, la campagne ne peut plus être relancée.',
    'confirm.notify.button': 'Envoyer',
    'confirm.apply.title': 'Appliquer les propositions ?',
    'confirm.apply.text': 'Les propositions approuvées de « {name} » seront appliquées sur les serveurs de messagerie.',
    'confirm.apply.button': 'Appliquer',
    'confirm.undo.title': 'Annuler ?',
    'confirm.undo.text': 'Tout ce que « {name} » a appliqué sera remis en place (pièces jointes rattachées, messages restaurés).',
    'confirm.undo.mailbox': 'Tout ce que « {name} » a appliqué dans la boîte {mailbox} sera remis en place.',
    'confirm.undo.button': 'Annuler les actions',
    'confirm.close.title': 'Clôturer la campagne ?',
    'confirm.close.text': 'Les e-mails non envoyés de « {name} » seront annulés et les liens de revue afficheront « campagne clôturée ».',
    'confirm.close.button': 'Clôturer',
    'undo.one': 'Annuler pour une seule boîte',
    'undo.mailbox_label': 'Adresse de la boîte',
    'undo.mailbox_button': 'Annuler pour cette boîte',

    'create.title': 'Nouvelle campagne',
    'create.name_hint': 'Par exemple printemps-2025. Le nom identifie la campagne partout.',
    'create.name_required': 'Donnez un nom à la campagne.',
    'create.name_taken': 'Une campagne porte déjà ce nom.',
    'create.teams': 'Équipes',
    'create.scope_hint': 'Aucune case cochée : toutes les équipes.',
    'create.mailboxes': 'Boîtes aux lettres',
    'create.mailboxes_hint': 'Adresses séparées par des virgules ou des espaces ; vide : toutes les boîtes des équipes choisies.',
    'create.rules': 'Règles',
    'create.rules_hint': 'Les règles (et leur mode d’approbation : automatique, sauf refus, sur accord) viennent de la configuration ; elles sont copiées dans la campagne.',
    'create.rules_required': 'Choisissez au moins une règle.',
    'create.target_hint': 'Espace à libérer, par exemple 500GB, 2TB ou 750GiB. Vide : pas d’objectif.',
    'create.deadline_hint': 'Dernier jour où les agents peuvent décider.',
    'create.grace_hint': 'Durée de quarantaine des messages supprimés avant la purge.',
    'create.admins': 'Administrateurs de la campagne (e-mails)',
    'create.admins_hint': 'Ils reçoivent les rapports d’avancement.',
    'create.submit': 'Créer et simuler',
    'create.creating': 'Création…',

    'whatif.title': 'Simulation : {name}',
    'whatif.created': 'Campagne créée (brouillon). Rien n’a encore été écrit aux agents.',
    'whatif.explain': 'Voici ce que le plan proposerait avec l’inventaire actuel. Essayez un autre objectif si besoin, puis lancez : le lancement inventorie les boîtes du périmètre puis établit le plan.',
    'whatif.try_target': 'Essayer un autre objectif',
    'whatif.recompute': 'Recalculer',
    'whatif.computing': 'Calcul de la projection…',
    'whatif.later': 'Voir la campagne sans lancer',

    'projection.title': 'Projection (what-if)',
    'projection.reached': 'Objectif atteint : {planned} prévus pour un objectif de {target}.',
    'projection.shortfall': 'Il manque {shortfall} : {planned} prévus pour un objectif de {target}.',
    'projection.no_target': 'Pas d’objectif : {bytes} prévus.',
    'projection.proposals': 'Propositions',
    'projection.bytes': 'Volume',
    'projection.planned': 'Prévu',
    'projection.by_team': 'Par équipe',
    'projection.by_rule': 'Par règle',
    'projection.skipped': 'Écartés',
    'projection.reason': 'Raison',
    'projection.count': 'Nombre',
    'skip.hold': 'conservation légale',
    'skip.flagged': 'message marqué',
    'skip.signed': 'message signé',
    'skip.encrypted': 'message chiffré',
    'skip.calendar': 'invitation d’agenda',
    'skip.tnef': 'winmail.dat (TNEF)',
    'skip.retention': 'durée de conservation',
    'skip.damaged': 'message endommagé',
    'skip.parse_error': 'message illisible',

    'reports.rows': 'Lignes',
    'reports.all': 'toutes',
    'reports.show': 'Afficher',
    'reports.empty': 'Rien à afficher (l’inventaire est peut-être vide : lancez une campagne ou mailprune crawl).',
    'reports.name': 'Nom',
    'reports.messages': 'Messages',
    'reports.message_bytes': 'Taille des messages',
    'reports.attachments': 'Pièces jointes',
    'reports.attachment_bytes': 'Taille des pièces jointes',
    'reports.crawled': 'Inventoriée le',
    'reports.file': 'Fichier',
    'reports.type': 'Type',
    'reports.size': 'Taille',
    'reports.folder': 'Dossier',
    'reports.unnamed': '(sans nom)',
    'reports.mailboxes.title': 'Plus grosses boîtes aux lettres',
    'reports.mailboxes.intro': 'Les boîtes classées par volume de pièces jointes, d’après le dernier inventaire.',
    'reports.attachments.title': 'Plus grosses pièces jointes',
    'reports.attachments.intro': 'Les pièces jointes les plus lourdes de l’inventaire.',
    'reports.duplicates.title': 'Doublons',
    'reports.duplicates.intro': 'Le même fichier stocké plusieurs fois : le détacher une fois pour toutes libère toutes les copies sauf une.',
    'reports.duplicates.headline': '« {name} » ({size}) est stocké {count} fois, dans {mailboxes} boîte(s).',
    'reports.duplicates.reclaimable': 'Récupérable : {bytes}.',
    'reports.duplicates.copies': 'Voir les {n} copies',

    'failures.title': 'Actions en échec',
    'failures.intro': 'Les actions qu’une application n’a pas pu mener à bien, par raison. Une nouvelle tentative vérifie d’abord l’état du serveur.',
    'failures.campaign': 'Campagne',
    'failures.no_campaign': 'Aucune campagne lancée.',
    'failures.total': '{n} actions en échec.',
    'failures.by_reason': 'Par raison',
    'failures.list': 'Actions en échec',
    'failures.none': 'Aucune action en échec.',
    'failures.step': 'Étape en échec',
    'failures.attempts': 'Tentatives',
    'failures.when': 'Dernière tentative',
    'failures.retry': 'Réessayer',
    'failures.retry_one': 'Réessayer l’action {id}',
    'failures.retry_all': 'Réessayer toutes les actions en échec',
    'failures.retry_all_confirm': 'Relancer les {n} actions en échec de cette campagne ?',
    'failures.retry_started': 'Nouvelle tentative lancée : suivez-la sur la page de la campagne.',
    'failures.more': 'Seules les 200 premières sont affichées.',
  },
  en: {
    'nav.skip': 'Skip to content',
    'nav.campaigns': 'Campaigns',
    'nav.mailboxes': 'Largest mailboxes',
    'nav.attachments': 'Largest attachments',
    'nav.duplicates': 'Duplicates',
    'nav.failures': 'Failures',
    'nav.language': 'Language',
    'nav.logout': 'Log out',
    'nav.whoami': '{login} ({role})',
    'role.admin': 'administrator',
    'role.viewer': 'read only',

    'login.title': 'Sign in to the console',
    'login.login': 'Login',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.missing': 'Enter your login and password.',
    'login.bad_credentials': 'Wrong login or password.',
    'login.disabled': 'This account is disabled. Ask an administrator.',
    'login.throttled': 'Too many attempts. Try again in {seconds} s.',
    'login.retry_now': 'You may try again.',
    'login.logged_out': 'You are logged out.',
    'login.expired': 'Your session has ended: please sign in again.',

    'common.loading': 'Loading…',
    'common.none': 'Nothing here.',
    'common.cancel': 'Cancel',
    'common.team': 'Team',
    'common.no_team': '(no team)',
    'common.mailbox': 'Mailbox',
    'common.rule': 'Rule',
    'common.action': 'Action',

    'error.network': 'The server does not answer. Check the connection and try again.',
    'error.forbidden': 'Your role does not allow this.',
    'error.forbidden_title': 'Not allowed',
    'error.conflict': 'Not possible right now:',
    'error.not_found': 'Not found',
    'error.server': 'Server error. Try again; if it persists, look at the server log.',

    'state.draft': 'Draft',
    'state.crawling': 'Crawling',
    'state.proposing': 'Proposing',
    'state.notifying': 'Sending e-mails',
    'state.collecting': 'Collecting decisions',
    'state.applying': 'Applying',
    'state.closed': 'Closed',

    'action.detach': 'Detach',
    'action.archive': 'Archive',
    'action.delete': 'Delete',
    'approval.auto': 'automatic',
    'approval.opt-out': 'unless refused',
    'approval.opt-in': 'when approved',
    'rule.older_than': 'older than {age}',
    'rule.duplicates_only': 'duplicates only',

    'campaigns.title': 'Campaigns',
    'campaigns.caption': 'Campaigns, newest first',
    'campaigns.new': 'New campaign',
    'campaigns.empty': 'No campaign yet.',

    'campaign.name': 'Name',
    'campaign.state': 'State',
    'campaign.target': 'Target',
    'campaign.starts': 'Starts',
    'campaign.deadline': 'Deadline',
    'campaign.deadline_passed': 'passed',
    'campaign.created': 'Created',
    'campaign.grace_days': 'Grace period (days)',
    'campaign.language': 'E-mail language',
    'campaign.scope': 'Scope',
    'campaign.scope_all': 'every mailbox',
    'campaign.steps': 'Campaign steps',
    'campaign.whatif': 'What-if',
    'campaign.launch': 'Launch',
    'campaign.notify': 'Send e-mails',
    'campaign.apply': 'Apply',
    'campaign.undo': 'Undo the campaign',
    'campaign.close': 'Close',
    'campaign.viewer_note': 'Read only: actions are for administrators.',
    'campaign.activity': 'Current activity',
    'campaign.no_job': 'No job for this campaign.',
    'campaign.jobs': 'Recent jobs',
    'campaign.history': 'History',
    'campaign.progress': 'Progress',
    'campaign.towards_target': 'Approved, towards the {target} target',
    'campaign.notifications': 'E-mails to agents',
    'campaign.by_team': 'By team',
    'campaign.job_started': 'Job “{kind}” started.',
    'campaign.closed_ok': 'Campaign closed.',

    'page.title': 'Progress page',
    'page.intro': 'The live progress page for the intranet: figures and the teams’ leaderboard, no personal data, updated live.',
    'page.mode': 'Access',
    'page.mode.off': 'off',
    'page.mode.public': 'public, no login',
    'page.mode.link': 'behind a secret link',
    'page.changed': 'Changed',
    'page.share': 'Address to share',
    'page.open': 'Open the page',
    'page.off_hint': 'The page does not exist while it is off.',
    'page.link_once': 'Copy this link now: it will not be shown again. Issuing a new one revokes it.',
    'page.link_hidden': 'The link was shown when it was issued; “New secret link” issues another and revokes the old one.',
    'page.set_off': 'Switch off',
    'page.set_public': 'Make public',
    'page.set_link': 'New secret link',
    'page.saved': 'Progress page: {mode}.',

    'counts.proposed': 'Proposed',
    'counts.approved': 'Approved',
    'counts.refused': 'Refused',
    'counts.pending': 'Pending',
    'counts.freed': 'Freed',
    'counts.items': '{n} item(s)',
    'counts.measured': 'measured on the servers',
    'counts.estimated': 'estimated',
    'notes.agents': 'Agents',
    'notes.sent': 'Sent',
    'notes.pending': 'Pending',
    'notes.failed': 'Failed',

    'job.kind.launch': 'Crawl and plan',
    'job.kind.notify': 'Sending e-mails',
    'job.kind.apply': 'Apply',
    'job.kind.undo': 'Undo',
    'job.kind.retry': 'Retry',
    'job.kind.whatif': 'What-if',
    'job.kind.close': 'Close',
    'job.state.queued': 'queued',
    'job.state.running': 'running',
    'job.state.done': 'done',
    'job.state.failed': 'failed',
    'job.state.interrupted': 'interrupted',
    'job.progress.launch': 'Mailboxes crawled',
    'job.progress.notify': 'E-mails',
    'job.progress.apply': 'Actions',
    'job.progress.undo': 'Actions undone',
    'job.progress.retry': 'Actions',
    'job.skipped': '{n} skipped',
    'job.failed_count': '{n} failed',
    'job.by': 'By',
    'job.started': 'Started',
    'job.finished': 'Finished',
    'job.result': 'Result',
    'job.kind_label': 'Job',
    'job.state_label': 'State',

    'history.at': 'When',
    'history.step': 'Step',
    'history.change': 'Change',
    'history.detail': 'Detail',

    'confirm.notify.title': 'Send the e-mails?',
    'confirm.notify.text': 'Every agent in “{name}” will get an e-mail with the link to their proposals. After that, the campaign cannot be launched again.',
    'confirm.notify.button': 'Send',
    'confirm.apply.title': 'Apply the proposals?',
    'confirm.apply.text': 'The approved proposals of “{name}” will be carried out on the mail servers.',
    'confirm.apply.button': 'Apply',
    'confirm.undo.title': 'Undo?',
    'confirm.undo.text': 'Everything “{name}” applied will be put back (attachments reattached, messages restored).',
    'confirm.undo.mailbox': 'Everything “{name}” applied in mailbox {mailbox} will be put back.',
    'confirm.undo.button': 'Undo the actions',
    'confirm.close.title': 'Close the campaign?',
    'confirm.close.text': 'Unsent e-mails of “{name}” are cancelled and review links will say “campaign closed”.',
    'confirm.close.button': 'Close',
    'undo.one': 'Undo for one mailbox only',
    'undo.mailbox_label': 'Mailbox address',
    'undo.mailbox_button': 'Undo for this mailbox',

    'create.title': 'New campaign',
    'create.name_hint': 'For example spring-2025. The name identifies the campaign everywhere.',
    'create.name_required': 'Give the campaign a name.',
    'create.name_taken': 'A campaign already has this name.',
    'create.teams': 'Teams',
    'create.scope_hint': 'None ticked: every team.',
    'create.mailboxes': 'Mailboxes',
    'create.mailboxes_hint': 'Addresses separated by commas or spaces; empty: every mailbox of the chosen teams.',
    'create.rules': 'Rules',
    'create.rules_hint': 'Rules (and their approval mode: automatic, unless refused, when approved) come from the configuration; they are copied into the campaign.',
    'create.rules_required': 'Choose at least one rule.',
    'create.target_hint': 'Space to free, for example 500GB, 2TB or 750GiB. Empty: no target.',
    'create.deadline_hint': 'The last day agents can decide.',
    'create.grace_hint': 'How long deleted mail stays in quarantine before it is purged.',
    'create.admins': 'Campaign administrators (e-mail)',
    'create.admins_hint': 'They receive the progress reports.',
    'create.submit': 'Create and simulate',
    'create.creating': 'Creating…',

    'whatif.title': 'What-if: {name}',
    'whatif.created': 'Campaign created (draft). Nothing has been sent to agents yet.',
    'whatif.explain': 'This is what the plan would propose with the current inventory. Try another target if needed, then launch: launching crawls the mailboxes in scope, then plans.',
    'whatif.try_target': 'Try another target',
    'whatif.recompute': 'Recompute',
    'whatif.computing': 'Computing the projection…',
    'whatif.later': 'Open the campaign without launching',

    'projection.title': 'Projection (what-if)',
    'projection.reached': 'Target reached: {planned} planned for a {target} target.',
    'projection.shortfall': '{shortfall} short: {planned} planned for a {target} target.',
    'projection.no_target': 'No target: {bytes} planned.',
    'projection.proposals': 'Proposals',
    'projection.bytes': 'Size',
    'projection.planned': 'Planned',
    'projection.by_team': 'By team',
    'projection.by_rule': 'By rule',
    'projection.skipped': 'Skipped',
    'projection.reason': 'Reason',
    'projection.count': 'Count',
    'skip.hold': 'legal hold',
    'skip.flagged': 'flagged message',
    'skip.signed': 'signed message',
    'skip.encrypted': 'encrypted message',
    'skip.calendar': 'calendar invitation',
    'skip.tnef': 'winmail.dat (TNEF)',
    'skip.retention': 'retention period',
    'skip.damaged': 'damaged message',
    'skip.parse_error': 'unreadable message',

    'reports.rows': 'Rows',
    'reports.all': 'all',
    'reports.show': 'Show',
    'reports.empty': 'Nothing to show (the inventory may be empty: launch a campaign or run mailprune crawl).',
    'reports.name': 'Name',
    'reports.messages': 'Messages',
    'reports.message_bytes': 'Message size',
    'reports.attachments': 'Attachments',
    'reports.attachment_bytes': 'Attachment size',
    'reports.crawled': 'Crawled',
    'reports.file': 'File',
    'reports.type': 'Type',
    'reports.size': 'Size',
    'reports.folder': 'Folder',
    'reports.unnamed': '(no name)',
    'reports.mailboxes.title': 'Largest mailboxes',
    'reports.mailboxes.intro': 'Mailboxes by attachment size, from the last crawl.',
    'reports.attachments.title': 'Largest attachments',
    'reports.attachments.intro': 'The heaviest attachments in the inventory.',
    'reports.duplicates.title': 'Duplicates',
    'reports.duplicates.intro': 'The same file stored many times: detaching it once and for all frees every copy but one.',
    'reports.duplicates.headline': '“{name}” ({size}) is stored {count} times, in {mailboxes} mailbox(es).',
    'reports.duplicates.reclaimable': 'Reclaimable: {bytes}.',
    'reports.duplicates.copies': 'Show the {n} copies',

    'failures.title': 'Failed actions',
    'failures.intro': 'Actions an apply run could not complete, by reason. A retry first checks the server’s state.',
    'failures.campaign': 'Campaign',
    'failures.no_campaign': 'No campaign launched.',
    'failures.total': '{n} failed actions.',
    'failures.by_reason': 'By reason',
    'failures.list': 'Failed actions',
    'failures.none': 'No failed action.',
    'failures.step': 'Failed step',
    'failures.attempts': 'Attempts',
    'failures.when': 'Last attempt',
    'failures.retry': 'Retry',
    'failures.retry_one': 'Retry action {id}',
    'failures.retry_all': 'Retry every failed action',
    'failures.retry_all_confirm': 'Retry the {n} failed actions of this campaign?',
    'failures.retry_started': 'Retry started: follow it on the campaign page.',
    'failures.more': 'Only the first 200 are shown.',
  },
};

for (const code of Object.keys(dictionary)) Object.assign(dictionary[code], directoryTexts[code]);

export const languages = Object.keys(dictionary);
const storageKey = 'mailprune.console.language';
let current = 'fr';

// The visitor's saved choice, else the first of the browser's languages we have, else French.
export function chooseLanguage() {
  try {
    const saved = window.localStorage.getItem(storageKey);
    if (saved && dictionary[saved]) return saved;
  } catch (error) {
    // Storage refused (private mode): follow the browser.
  }
  for (const tag of navigator.languages || [navigator.language || '']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (dictionary[base]) return base;
  }
  return 'fr';
}

export function setLanguage(code, remember = false) {
  current = dictionary[code] ? code : 'fr';
  document.documentElement.lang = current;
  if (remember) {
    try {
      window.localStorage.setItem(storageKey, current);
    } catch (error) {
      // Not remembered; the choice still applies to this page.
    }
  }
}

export function language() {
  return current;
}

export function t(key, params) {
  const text = dictionary[current][key] ?? dictionary.fr[key];
  if (text === undefined) return '';
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// Elements of the static page with a data-i18n attribute get their text from the dictionary.
export function translateStatic(root) {
  for (const element of root.querySelectorAll('[data-i18n]')) {
    const text = t(element.dataset.i18n);
    if (text) element.textContent = text;
  }
}

export function formatNumber(value) {
  return new Intl.NumberFormat(current).format(value);
}

// Decimal units, as the configuration reads them (500GB = 500 000 000 000 bytes); French writes
// octets (Go, Mo, ko).
export function formatBytes(value) {
  const units = current === 'fr' ? ['o', 'ko', 'Mo', 'Go', 'To', 'Po'] : ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let amount = Number(value) || 0;
  let unit = 0;
  while (Math.abs(amount) >= 1000 && unit < units.length - 1) {
    amount /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || Math.abs(amount) >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(amount)}\u00a0${units[unit]}`;
}

// "2025-04-11T21:59:59Z" or "2025-04-11" as a date of the visitor's language; '—' when absent.
export function formatDate(text) {
  if (!text) return '—';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium' }).format(date);
}

export function formatDateTime(text) {
  if (!text) return '—';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return new Intl.DateTimeFormat(current, { dateStyle: 'short', timeStyle: 'medium' }).format(date);
}
