//! The command-line grammar.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "caredesk",
    version,
    about = "CareDesk: text and call patients from your desk",
    propagate_version = true
)]
pub struct Cli {
    /// Data directory (default: the OS data directory).
    #[arg(long, global = true, env = "CAREDESK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and change settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store and remove secrets in the OS keyring.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Import and list the patient roster.
    #[command(subcommand)]
    Patients(PatientsCommand),
    /// List the hospital SMS server's numbers and sender names.
    Numbers {
        #[arg(long)]
        json: bool,
    },
    /// Send an SMS to a patient and wait for the gateway's answer.
    #[command(after_help = crate::exit::send_help())]
    Send {
        /// CareDesk patient id, or ecm:N for an ECM patient id.
        #[arg(long)]
        patient: String,
        /// The number to text (default: the patient's preferred SMS number).
        /// It must be one of the patient's numbers, unless --other-number.
        #[arg(long)]
        to: Option<String>,
        /// --to is not one of the patient's numbers and is meant: send anyway
        /// (the audit log records that another number was used).
        #[arg(long, requires = "to")]
        other_number: bool,
        /// The message text.
        #[arg(long, required_unless_present = "template", conflicts_with = "template")]
        text: Option<String>,
        /// A template (`caredesk templates list`), merged for the patient; a
        /// field with no value stops the send, naming the field.
        #[arg(long)]
        template: Option<String>,
        /// Send later: a local time "YYYY-MM-DD HH:MM" (clinic.time_zone,
        /// else this computer's zone). It waits in the outbox until then;
        /// `caredesk outbox cancel ID` cancels it.
        #[arg(long)]
        at: Option<String>,
        /// Urgent: send inside quiet hours (sms.quiet_hours), for this reason
        /// (recorded in the audit log).
        #[arg(long, value_name = "REASON")]
        urgent: Option<String>,
        /// Route: his (hospital SMS server) or ecm (ECM API); default sms.via.
        #[arg(long, value_parser = ["his", "ecm"])]
        via: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Texts with merge fields ({first_name}, {last_name}, {clinic_name},
    /// {coordinator_name}, ...): list, add, edit, remove.
    Templates {
        #[command(subcommand)]
        action: Option<TemplateAction>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Send a patient's number the consent invitation (consent.invitation_text):
    /// a START reply opts it in and earns the welcome text (consent.welcome_text).
    Invite {
        #[arg(long)]
        patient: String,
        /// The number to invite (default: the patient's preferred number).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Each of a patient's numbers: not asked, invited, opted in or opted
    /// out, with dates, and a revocation waiting for review.
    Consent {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        json: bool,
    },
    /// Replies flagged as possible revocations of consent, waiting for staff
    /// (due within 10 business days; campaigns skip the number meanwhile).
    Revocations {
        #[command(subcommand)]
        action: Option<RevocationAction>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Campaigns: one template to many recipients, at the send rate, inside
    /// quiet hours, under a frequency cap; each recipient texted once.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Place a call to a patient through ECM.
    Call {
        #[arg(long)]
        patient: String,
        /// The number to call (default: the patient's preferred number).
        /// It must be one of the patient's numbers, unless --other-number.
        #[arg(long)]
        to: Option<String>,
        /// --to is not one of the patient's numbers and is meant: call anyway
        /// (the audit log records that another number was used).
        #[arg(long, requires = "to")]
        other_number: bool,
        #[arg(long)]
        json: bool,
    },
    /// One sync cycle (--once) or cycles until interrupted: deliver the outbox,
    /// reconcile ambiguous sends, refresh delivery states, poll the inbox.
    Sync {
        #[arg(long)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// Messages not yet accepted or refused, with attempts and next try;
    /// `outbox undo MESSAGE_ID` takes back a text still in its undo delay.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
        #[arg(long)]
        json: bool,
    },
    /// One row per thread (patient or unmatched number) with unread count.
    Threads {
        #[arg(long)]
        json: bool,
    },
    /// A patient's messages and calls, in order.
    Thread {
        #[arg(long)]
        patient: String,
        /// Only the texts containing TEXT, case and accents aside (audited with the count only).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Team mode: assign a patient's thread to a member (--to ROLE), to
    /// yourself (--me) or to nobody (--none). If a colleague assigned it
    /// first, theirs stands on every desk.
    #[command(group(clap::ArgGroup::new("whom").required(true).args(["to", "me", "none"])))]
    Assign {
        #[arg(long)]
        patient: String,
        /// A member's PostgreSQL role.
        #[arg(long, value_name = "ROLE")]
        to: Option<String>,
        #[arg(long)]
        me: bool,
        #[arg(long)]
        none: bool,
        #[arg(long)]
        json: bool,
    },
    /// Team mode: add an internal note to a patient's thread (never sent to the patient).
    Note {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// Team mode: a patient's internal notes, oldest first.
    Notes {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        json: bool,
    },
    /// Team mode: close a patient's thread (a new reply reopens it).
    Close {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        json: bool,
    },
    /// Team mode: reopen a closed thread.
    Reopen {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        json: bool,
    },
    /// Mark a patient's thread read (as opening it in the app does; in team
    /// mode, shared as this member's read).
    Read {
        #[arg(long)]
        patient: String,
    },
    /// Link an unmatched number to a patient: it becomes one of their numbers
    /// (a contact, relationship "unknown" unless given), remembered for replies.
    Link {
        #[arg(long)]
        number: String,
        #[arg(long)]
        patient: String,
        /// Whose number it is (the contact's name).
        #[arg(long)]
        name: Option<String>,
        /// Their relationship to the patient (son, caregiver).
        #[arg(long)]
        relationship: Option<String>,
    },
    /// Send one test message to check the configuration (spec 002's test harness).
    TestSms {
        #[arg(long)]
        to: String,
        #[arg(long, value_parser = ["his", "ecm"])]
        via: Option<String>,
    },
    /// Export activities (PRTF reporting) or FHIR Communications.
    #[command(subcommand)]
    Export(ExportCommand),
    /// The audit log: who did what, when (`list`, the default), and whether
    /// anyone changed it (`verify`).
    Audit {
        #[command(subcommand)]
        command: Option<AuditCommand>,
        #[arg(long)]
        json: bool,
        /// How many of the newest entries.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Write an encrypted copy of the database to FILE, under a passphrase
    /// read from standard input (Argon2id). Never over an existing file.
    Backup { file: PathBuf },
    /// Restore a backup into the data directory (one without a database
    /// this keyring opens), under a new key; the passphrase from standard input.
    Restore { file: PathBuf },
    /// Re-encrypt the database under a new random key (crash-safe).
    Rekey,
    /// Team mode: set up the team's PostgreSQL database (administrator), add
    /// members, and see the team as this desk's member.
    #[command(subcommand)]
    Team(TeamCommand),
    /// The clinic's FHIR server (fhir.base_url): check it, pull the roster,
    /// and see the link's state.
    #[command(subcommand)]
    Fhir(FhirCommand),
    /// Run the built-in simulator of both servers on 127.0.0.1 until interrupted.
    Sandbox {
        /// Port (default: a free one).
        #[arg(long)]
        port: Option<u16>,
        /// No simulated patient replies.
        #[arg(long)]
        no_replies: bool,
        /// Fast timing (tens of milliseconds), for tests.
        #[arg(long)]
        fast: bool,
        /// Seed for faults and replies.
        #[arg(long)]
        seed: Option<u64>,
        /// How the hospital SMS server behaves: spec (the spec's examples),
        /// dotnet (an ASP.NET Core server: camelCase, numeric enums, null
        /// lists, Int32 ExternalKey, UTC lists, +02:00 answers), skewed (its
        /// clock 7 minutes behind, UTC+05:30, no offsets), transliterating
        /// (stores texts without diacritics), lagging (lists a send only
        /// seconds after taking it).
        #[arg(long, default_value = "spec", value_parser = ["spec", "dotnet", "skewed", "transliterating", "lagging"])]
        profile: String,
        /// The server's UTC offset, like +02:00 (default: the profile's;
        /// for spec, this computer's zone).
        #[arg(long, value_parser = parse_offset)]
        server_zone: Option<chrono::FixedOffset>,
    },
}

fn parse_offset(s: &str) -> Result<chrono::FixedOffset, String> {
    s.trim().parse::<chrono::FixedOffset>().map_err(|_| format!("{s:?} is not a UTC offset like +02:00 or -05:00"))
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The newest entries: when, who (name and OS user), what, which patient.
    List {
        #[arg(long)]
        json: bool,
        /// How many of the newest entries.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Checks the HMAC chain: OK with the count, or the first entry that was
    /// changed, removed or reordered (exit status 1).
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FhirCommand {
    /// Read the server's CapabilityStatement and search it as a pull does:
    /// which interactions CareDesk needs it supports (exit 1 when the
    /// roster cannot be pulled).
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Pull the roster (Patients and the RelatedPersons pointing at them):
    /// what changed since the last pull, or everything with --full. Progress
    /// on stderr; the counts on stdout.
    Pull {
        /// Everything, not only what changed (also finds patients deleted on
        /// a server that keeps no history).
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// The last pull, the roster the server manages, and the write-back queue
    /// (pending, failed with reasons, written).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Queue again the writes the FHIR server refused (after fixing what it
    /// said); `caredesk sync` writes them.
    Retry,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create the team schema in the database, or migrate it to this
    /// version (again: nothing to do). As an administrator role whose
    /// password is read from standard input (first line); no data directory
    /// is used.
    Init {
        /// The administrator's address, postgres://ADMIN@HOST[:PORT]/DATABASE
        /// (no password in it; TLS with a verified certificate unless HOST is
        /// this computer).
        #[arg(long, value_name = "URL", env = "CAREDESK_TEAM_ADMIN_URL")]
        admin_url: String,
    },
    /// Make ROLE a member of the team with its display name (again: the
    /// name is updated). As the administrator (password: first line of
    /// standard input). ROLE must exist, unless --create-role.
    AddMember {
        /// The member's PostgreSQL role (what team.database_url names on their desk).
        role: String,
        /// The name desks show, like "Ana Ruiz".
        #[arg(long)]
        name: String,
        /// The administrator's address, as for `team init`.
        #[arg(long, value_name = "URL", env = "CAREDESK_TEAM_ADMIN_URL")]
        admin_url: String,
        /// Create ROLE (LOGIN, no other right) with the password on the
        /// second line of standard input (stored as a SCRAM-SHA-256 verifier
        /// computed here: the password itself never reaches the server).
        #[arg(long)]
        create_role: bool,
    },
    /// Connect as this desk's member (team.database_url, team-password) and
    /// show the schema version, the members, the change log's head and which
    /// desk polls the hospital SMS server; or why it cannot connect.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set KEY to VALUE.
    Set { key: String, value: String },
    /// Print the value of KEY (its default when unset).
    Get { key: String },
    /// Remove KEY, so its default applies.
    Unset { key: String },
    /// List every setting with its value or default.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Store a secret read from standard input (his-token, his-client-secret, ecm-token, team-password,
    /// fhir-token or fhir-client-secret).
    Set { name: String },
    /// Remove a secret.
    Delete { name: String },
    /// Show which secrets are stored (never their values).
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PatientsCommand {
    /// Import a roster: a .csv file or a FHIR R4 .json file.
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List patients, optionally matching a search.
    List {
        #[arg(long)]
        json: bool,
        /// Name, phone number or ECM id to search for.
        #[arg(long)]
        search: Option<String>,
    },
    /// Add a patient with their number (and optionally one contact's). Audited.
    Add {
        /// The patient's name.
        #[arg(long)]
        name: String,
        /// The patient's ECM id (a whole number no other patient has).
        #[arg(long, value_name = "N")]
        ecm_id: Option<i64>,
        /// The patient's own number, any common format.
        #[arg(long, value_name = "NUMBER", required_unless_present = "contact_phone")]
        phone: Option<String>,
        /// A contact's name (a son, a caregiver).
        #[arg(long, value_name = "NAME", requires = "contact_phone")]
        contact_name: Option<String>,
        /// The contact's relationship to the patient.
        #[arg(long, value_name = "REL", requires = "contact_phone")]
        contact_relationship: Option<String>,
        /// The contact's number.
        #[arg(long, value_name = "NUMBER")]
        contact_phone: Option<String>,
        /// The patient's time zone for quiet hours (IANA name, like
        /// America/Chicago; "clinic": the clinic's zone).
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a patient: name, ECM id, numbers added or no longer used, SMS consent. Audited.
    Edit {
        /// CareDesk patient id, or ecm:N for an ECM patient id.
        patient: String,
        #[arg(long)]
        name: Option<String>,
        /// A new ECM id (a whole number no other patient has).
        #[arg(long, value_name = "N", conflicts_with = "no_ecm_id")]
        ecm_id: Option<i64>,
        /// Remove the patient's ECM id.
        #[arg(long)]
        no_ecm_id: bool,
        /// Add a number of the patient's own (or make it current again).
        #[arg(long, value_name = "NUMBER")]
        add_phone: Vec<String>,
        /// Add a contact's number (or change it), with --add-contact-name and --add-contact-relationship.
        #[arg(long, value_name = "NUMBER")]
        add_contact_phone: Option<String>,
        #[arg(long, value_name = "NAME", requires = "add_contact_phone")]
        add_contact_name: Option<String>,
        #[arg(long, value_name = "REL", requires = "add_contact_phone")]
        add_contact_relationship: Option<String>,
        /// Mark one of the patient's numbers no longer used (kept, never texted without confirming).
        #[arg(long, value_name = "NUMBER")]
        deactivate_phone: Vec<String>,
        /// Record that this number no longer consents to SMS (an opt-out by staff).
        #[arg(long, value_name = "NUMBER")]
        opt_out: Vec<String>,
        /// Record that this number consents to SMS again.
        #[arg(long, value_name = "NUMBER")]
        opt_in: Vec<String>,
        /// The patient's time zone for quiet hours (IANA name, like
        /// America/Chicago; "clinic": the clinic's zone).
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Activities and events for PRTF reporting.
    Activities {
        /// First day, YYYY-MM-DD (inclusive).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (inclusive).
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
        format: String,
        /// Write to FILE instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// A FHIR R4 Bundle of Communication resources, one per SMS.
    Fhir {
        /// Only this patient (id or ecm:N).
        #[arg(long)]
        patient: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxAction {
    /// Takes back a text that is still waiting (its undo delay, a time to
    /// send later, quiet hours) and no worker has taken: deleted, audited,
    /// nothing reaches a server.
    #[command(alias = "cancel")]
    Undo { message_id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum RevocationAction {
    /// Every flagged reply waiting for review (the default).
    List,
    /// Staff's decision on a flagged reply: --opted-out (the number is opted
    /// out) or --not-revocation (texts may go on). Audited.
    Resolve {
        message_id: i64,
        #[arg(long, conflicts_with = "not_revocation", required_unless_present = "not_revocation")]
        opted_out: bool,
        #[arg(long)]
        not_revocation: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateAction {
    /// Every template (the default).
    List,
    Add {
        name: String,
        #[arg(long)]
        text: String,
    },
    Edit {
        name: String,
        #[arg(long)]
        text: String,
    },
    Remove {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign (a draft: nothing is sent until `campaign start`);
    /// prints its id.
    #[command(group(clap::ArgGroup::new("who").required(true).args(["recipients", "all", "search"])))]
    Create {
        #[arg(long)]
        name: String,
        /// The template (`caredesk templates list`).
        #[arg(long)]
        template: String,
        /// A CSV with an ecm_patient_id column; every other column is a
        /// merge field of its name ({appointment_time}).
        #[arg(long, value_name = "FILE.csv")]
        recipients: Option<PathBuf>,
        /// Every patient on the roster.
        #[arg(long)]
        all: bool,
        /// The patients a roster search finds (a name, a number, ecm:N).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Not before this local time "YYYY-MM-DD HH:MM" (clinic.time_zone).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Campaign texts per number in 24 h (default 1; 0: no cap).
        #[arg(long, value_name = "N")]
        cap_day: Option<u32>,
        /// Campaign texts per number in 7 days (default 3; 0: no cap).
        #[arg(long, value_name = "N")]
        cap_week: Option<u32>,
        /// Replies read as answers, like "1=confirm,2=cancel".
        #[arg(long, value_name = "SPEC")]
        answers: Option<String>,
        /// Hours after its text a reply counts as an answer (default 72).
        #[arg(long, value_name = "H")]
        answer_hours: Option<u32>,
        /// Route: his or ecm (default sms.via).
        #[arg(long, value_parser = ["his", "ecm"])]
        via: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every merged message with its segments, and the skipped recipients.
    Preview {
        #[arg(allow_negative_numbers = true)]
        id: i64,
        /// Show only the first N messages (the totals count all).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Start a campaign and send it here until it is done (Ctrl+C stops
    /// this process; the app or `caredesk sync` carries on).
    Start {
        #[arg(allow_negative_numbers = true)]
        id: i64,
        /// Only mark it started: the app or `caredesk sync` sends it.
        #[arg(long)]
        detach: bool,
        #[arg(long)]
        json: bool,
    },
    /// Stop queueing texts (the few already in the outbox go).
    Pause {
        #[arg(allow_negative_numbers = true)]
        id: i64,
    },
    /// Resume a paused campaign, sending it here as `start` does.
    Resume {
        #[arg(allow_negative_numbers = true)]
        id: i64,
        #[arg(long)]
        detach: bool,
        #[arg(long)]
        json: bool,
    },
    /// Cancel: recipients not queued yet are skipped (the few already in the outbox go).
    Cancel {
        #[arg(allow_negative_numbers = true)]
        id: i64,
    },
    /// State and counts: total, sent, delivered, failed, pending, skipped (with reasons), answers.
    Status {
        #[arg(allow_negative_numbers = true)]
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// One CSV row per recipient: state, reason, sent_at, delivered, answer, replied.
    Report {
        #[arg(allow_negative_numbers = true)]
        id: i64,
        #[arg(long, short, value_name = "FILE.csv")]
        output: PathBuf,
    },
    /// Every campaign, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
}
