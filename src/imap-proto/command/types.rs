//! What a parsed command says: the command, and the small enums its arguments use.

use super::fetch::FetchAttribute;
use super::search::{SearchKey, SearchReturn};
use super::select::SelectParams;
use super::sequence::SequenceSet;
use super::sort::{SortCriterion, ThreadAlgorithm};

/// A command and its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// The client's tag, echoed in the completion response.
    pub tag: String,
    /// The command.
    pub command: Command,
}

/// One message of an APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// Flags to set on the new message.
    pub flags: Vec<Flag>,
    /// The internal date, as Unix seconds.
    pub date: Option<i64>,
    /// The message: its octets, or the parts it is made of.
    pub data: AppendData,
}

/// What an APPEND message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendData {
    /// A literal: the message octets.
    Literal(Vec<u8>),
    /// `CATENATE (...)` (RFC 4469): the message is these parts, one after the other.
    Catenate(Vec<CatPart>),
}

/// One part of a CATENATE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatPart {
    /// `TEXT literal`: these octets.
    Text(Vec<u8>),
    /// `URL astring`: a message or part of one on this server, by IMAP URL (RFC 5092).
    Url(String),
}

/// A client command (RFC 9051 6, with RFC 3501's CHECK/LSUB and the ENABLE, ID, CONDSTORE,
/// ESEARCH, LIST-EXTENDED, SPECIAL-USE, LIST-STATUS, MOVE, UIDPLUS, UNSELECT, SASL-IR and
/// BINARY extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `STARTTLS`.
    StartTls,
    /// `CHECK`.
    Check,
    /// `CLOSE`.
    Close,
    /// `UNSELECT`.
    Unselect,
    /// `EXPUNGE`.
    Expunge,
    /// `IDLE`.
    Idle,
    /// `NAMESPACE`.
    Namespace,
    /// `COMPRESS mechanism` (RFC 4978).
    Compress {
        /// The mechanism, as given (`DEFLATE` is the one defined).
        mechanism: String,
    },
    /// `GETQUOTA root` (RFC 9208).
    GetQuota {
        /// The quota root.
        root: String,
    },
    /// `GETQUOTAROOT mailbox` (RFC 9208).
    GetQuotaRoot {
        /// The mailbox.
        mailbox: String,
    },
    /// `SETQUOTA root (resource limit ...)` (RFC 9208); the limits are ignored.
    SetQuota {
        /// The quota root.
        root: String,
    },
    /// `AUTHENTICATE mechanism [initial-response]`.
    Authenticate {
        /// The SASL mechanism, upper-cased.
        mechanism: String,
        /// The SASL-IR initial response: base64, or `=` for an empty one, as given.
        initial: Option<String>,
    },
    /// `LOGIN user password`.
    Login {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// `ENABLE cap...`: capability names, upper-cased.
    Enable(Vec<String>),
    /// `SELECT mailbox [(CONDSTORE | QRESYNC (...))]`.
    Select {
        /// The mailbox.
        mailbox: String,
        /// The CONDSTORE and QRESYNC parameters.
        params: SelectParams,
    },
    /// `EXAMINE mailbox [(CONDSTORE | QRESYNC (...))]`.
    Examine {
        /// The mailbox.
        mailbox: String,
        /// The CONDSTORE and QRESYNC parameters.
        params: SelectParams,
    },
    /// `CREATE mailbox`.
    Create {
        /// The mailbox.
        mailbox: String,
    },
    /// `DELETE mailbox`.
    Delete {
        /// The mailbox.
        mailbox: String,
    },
    /// `RENAME from to`.
    Rename {
        /// The existing mailbox.
        from: String,
        /// The new name.
        to: String,
    },
    /// `SUBSCRIBE mailbox`.
    Subscribe {
        /// The mailbox.
        mailbox: String,
    },
    /// `UNSUBSCRIBE mailbox`.
    Unsubscribe {
        /// The mailbox.
        mailbox: String,
    },
    /// `LIST [(select-opts)] reference pattern(s) [RETURN (return-opts)]`.
    List {
        /// The reference name, as given.
        reference: String,
        /// The mailbox patterns, with `%` and `*` wildcards; at least one.
        patterns: Vec<String>,
        /// Selection options.
        select: ListSelect,
        /// Return options.
        returns: ListReturn,
    },
    /// `LSUB reference pattern`.
    Lsub {
        /// The reference name, as given.
        reference: String,
        /// The mailbox pattern.
        pattern: String,
    },
    /// `STATUS mailbox (items)`.
    Status {
        /// The mailbox.
        mailbox: String,
        /// The requested items, in order; at least one.
        items: Vec<StatusItem>,
    },
    /// `APPEND mailbox [(flags)] [date-time] literal`, repeated for MULTIAPPEND (RFC 3502).
    Append {
        /// The mailbox.
        mailbox: String,
        /// The messages, in order; at least one.
        messages: Vec<AppendMessage>,
    },
    /// `UID EXPUNGE set`.
    UidExpunge(SequenceSet),
    /// `[UID] SEARCH [RETURN (..)] [CHARSET x] keys`.
    Search {
        /// Whether it came as `UID SEARCH`.
        uid: bool,
        /// The `CHARSET`, as given.
        charset: Option<String>,
        /// The criteria; several top-level keys make a `SearchKey::And`.
        key: SearchKey,
        /// ESEARCH return options: `Some(vec![])` for `RETURN ()`.
        returns: Option<Vec<SearchReturn>>,
    },
    /// `[UID] SORT (criteria) charset keys` (RFC 5256).
    Sort {
        /// Whether it came as `UID SORT`.
        uid: bool,
        /// The criteria, most significant first.
        criteria: Vec<SortCriterion>,
        /// The charset of the keys' strings, as given.
        charset: String,
        /// The criteria of the messages sorted; several top-level keys make a `SearchKey::And`.
        key: SearchKey,
        /// ESORT return options (RFC 5267): `Some(vec![])` for `RETURN ()`.
        returns: Option<Vec<SearchReturn>>,
    },
    /// `[UID] THREAD algorithm charset keys` (RFC 5256).
    Thread {
        /// Whether it came as `UID THREAD`.
        uid: bool,
        /// How messages are grouped.
        algorithm: ThreadAlgorithm,
        /// The charset of the keys' strings, as given.
        charset: String,
        /// The criteria of the messages threaded.
        key: SearchKey,
    },
    /// `[UID] FETCH set attributes [(CHANGEDSINCE n [VANISHED])]`.
    Fetch {
        /// Whether it came as `UID FETCH`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// The attributes, macros expanded; at least one.
        attributes: Vec<FetchAttribute>,
        /// The `CHANGEDSINCE` modifier.
        changed_since: Option<u64>,
        /// The `VANISHED` modifier (QRESYNC, UID FETCH with CHANGEDSINCE only).
        vanished: bool,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags`.
    Store {
        /// Whether it came as `UID STORE`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// Replace, add or remove.
        action: StoreAction,
        /// Whether `.SILENT` was given.
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
        /// The `UNCHANGEDSINCE` modifier.
        unchanged_since: Option<u64>,
    },
    /// `[UID] COPY set mailbox`.
    Copy {
        /// Whether it came as `UID COPY`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// The destination.
        mailbox: String,
    },
    /// `[UID] MOVE set mailbox`.
    Move {
        /// Whether it came as `UID MOVE`.
        uid: bool,
        /// The messages.
        set: SequenceSet,
        /// The destination.
        mailbox: String,
    },
    /// `ID (field value ...)`; `ID NIL` gives an empty list.
    Id(Vec<(String, Option<String>)>),
}

/// What STORE does with the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAction {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// A message flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// `\Seen`.
    Seen,
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Draft`.
    Draft,
    /// `\Recent`.
    Recent,
    /// A keyword atom, as given.
    Keyword(String),
}

/// LIST selection options (RFC 5258, RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListSelect {
    /// `SUBSCRIBED`.
    pub subscribed: bool,
    /// `REMOTE`.
    pub remote: bool,
    /// `RECURSIVEMATCH`.
    pub recursive_match: bool,
    /// `SPECIAL-USE`.
    pub special_use: bool,
}

/// LIST return options (RFC 5258, RFC 6154, RFC 5819).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListReturn {
    /// `SUBSCRIBED`.
    pub subscribed: bool,
    /// `CHILDREN`.
    pub children: bool,
    /// `SPECIAL-USE`.
    pub special_use: bool,
    /// `STATUS (items)`.
    pub status: Option<Vec<StatusItem>>,
}

/// A STATUS data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusItem {
    /// `MESSAGES`.
    Messages,
    /// `RECENT`.
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED`.
    Deleted,
    /// `SIZE`.
    Size,
    /// `HIGHESTMODSEQ`.
    HighestModSeq,
    /// `MAILBOXID` (RFC 8474).
    MailboxId,
}
