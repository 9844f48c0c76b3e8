//! The team database (issue 15, team mode): the PostgreSQL client every desk
//! of a clinic shares. Part 1, the foundation the change-log sync, the
//! poller election and the UI stand on.
//!
//! - [`connect`]: how a desk (or the administrator) reaches the database:
//!   plain TCP only to this computer, TLS with a verified certificate to any
//!   other host (refused before connecting otherwise), an `application_name`
//!   naming the desk, and timeouts so nothing blocks forever.
//!   [`TeamDb::open`] is a desk's way in: it also checks the schema version
//!   and that the role is a member.
//! - [`error`]: [`TeamDbError`], with a stable code per failure the UI and
//!   scripts branch on, and messages that say what to do (never the password).
//! - [`schema`]: the team schema (`caredesk`), created and migrated only by
//!   [`init`] with versioned migrations (`migrations/V*.sql`, refinery);
//!   [`add_member`]; [`check_schema`] (a desk refuses a newer schema).
//! - [`log`]: the change log: [`append`] (idempotent per `(desk_id,
//!   desk_seq)`, positions in commit order, `NOTIFY caredesk_changes`) and
//!   [`read_after`].
//! - [`listen`]: [`ChangeListener`], woken by `NOTIFY caredesk_changes`.
//! - [`poller_lock`]: taking and giving up the poller lock.
//! - [`campaign_lock`]: a campaign runs on one desk at a time (a lock per
//!   campaign, held by the desk that feeds it).
//! - [`presence`]: who views or writes to which thread, announced with
//!   `NOTIFY caredesk_presence` (nothing stored).
//! - [`status`]: [`TeamStatus`] for `caredesk team status`: schema version,
//!   members, log head, and which desk holds the poller lock.
//! - [`snapshot`]: the state tables as one consistent snapshot at a known
//!   log position, streamed with binary COPY (a new desk joining).
//!
//! It uses only `rules` (the address and transport rules in
//! [`crate::rules::team_url`], [`Secret`](crate::rules::secret::Secret), the
//! error codes). Everything else (settings, keyring) is the desk's, which
//! builds the [`ConnectOptions`] (`Desk::team_connection`).

pub mod campaign_lock;
pub mod connect;
pub mod error;
pub mod listen;
pub mod log;
pub mod poller_lock;
pub mod presence;
pub mod schema;
pub mod snapshot;
pub mod status;

pub use connect::{application_name, ConnectOptions, TeamDb, TeamTx, Timeouts};
pub use error::TeamDbError;
pub use listen::ChangeListener;
pub use log::{append, append_all, log_head, read_after, Change, NewChange};
pub use presence::{Activity, Announcement, PresenceListener, PRESENCE_CHANNEL};
pub use schema::{add_member, check_member, check_schema, init, InitReport, MemberAdded};
pub use snapshot::{Snapshot, SnapshotRows};
pub use status::{poller_holder, status, Member, PollerHolder, TeamStatus};

/// The team schema version this CareDesk understands: the newest migration
/// in `migrations/` (kept in `caredesk.team_meta.schema_version`).
pub const SCHEMA_VERSION: i32 = 3;

/// The PostgreSQL schema that holds the team's tables.
pub const SCHEMA: &str = "caredesk";

/// The group role whose members are the team.
pub const MEMBER_ROLE: &str = "caredesk_member";

/// The channel `append` notifies with the new log head as its payload.
pub const CHANGES_CHANNEL: &str = "caredesk_changes";

/// The advisory lock (`pg_try_advisory_lock`) whose holder is the clinic's
/// one poller of the hospital SMS server's inbox. Held on a session of its
/// own; [`status`] shows who holds it. ("CAREDESK" in ASCII.)
pub const POLLER_LOCK_KEY: i64 = 0x4341_5245_4445_534B;

/// The advisory lock `init` holds while it migrates, so two administrators
/// running it at once migrate one after the other.
pub const INIT_LOCK_KEY: i64 = 0x4341_5245_494E_4954;
