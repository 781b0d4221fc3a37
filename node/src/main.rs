//! `tongxin`: the node daemon and the alliance CLI.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tongxin_node::cli;

#[derive(Parser)]
#[command(
    name = "tongxin",
    version,
    about = "Tongxin (同心): federated party-building alliance data exchange"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The alliance authority's commands (run offline, next to the CA key).
    Alliance {
        #[command(subcommand)]
        command: AllianceCommand,
    },
    /// Set up a node.
    Node {
        #[command(subcommand)]
        command: NodeCommand,
    },
    /// Run a node: HTTP API and web UI, message exchange over the broker.
    Run {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
    },
    /// Manage the node's user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The node's database.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Verify one signed message, or a service certificate (服务时长证明), from a file or stdin,
    /// and print its claims as JSON.
    Verify {
        /// The alliance root certificate.
        #[arg(long)]
        ca: PathBuf,
        /// The CA's revocation list (crl.pem).
        #[arg(long)]
        revoked: Option<PathBuf>,
        /// The CA-signed roster; with it, senders must be on it and rights are checked fully.
        #[arg(long)]
        roster: Option<PathBuf>,
        /// The message or certificate (compact JWS); `-` or nothing reads stdin.
        message: Option<PathBuf>,
        /// Instead of a message: an inclusion proof of one check-in in a participation report
        /// (`GET /api/v1/participation/proof`); checks both signed messages and the Merkle path.
        #[arg(long, conflicts_with = "message")]
        proof: Option<PathBuf>,
        /// Instead of a message: a node's daily archive (DAY.jws.gz); checks its signed
        /// manifest, its counts and hash, and every message in it, naming each line that fails.
        #[arg(long, conflicts_with_all = ["message", "proof"])]
        archive: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AllianceCommand {
    /// Create the alliance root: DIR/ca.key (0600), DIR/ca.pem, an empty DIR/crl.pem.
    Init {
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue a node certificate for a CSR.
    Issue {
        /// The CA directory.
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        csr: PathBuf,
        #[arg(long)]
        org_id: String,
        /// street | community | building-alliance | new-employment | co-building-unit | org-department
        #[arg(long)]
        kind: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = tongxin_schema::pki::NODE_DAYS)]
        days: u32,
    },
    /// Revoke a node certificate: updates DIR/revoked.json and re-signs DIR/crl.pem.
    Revoke {
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        cert: PathBuf,
    },
    /// Sign the alliance roster from an orgs file (TOML, [[org]] tables).
    Roster {
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        orgs: PathBuf,
        /// Where to write the signed roster (default DIR/roster.jws).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A node's public web address for member sign-in, as ORG-ID=URL (absolute http or
        /// https, no query or fragment); repeatable. Overrides the orgs file's `base_url`.
        #[arg(long = "base-url", value_name = "ORG-ID=URL")]
        base_url: Vec<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user, or set a new password and role for an existing one; the password is
    /// read from stdin (one line).
    Add {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
        #[arg(long)]
        username: String,
        /// admin | member | auditor
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Copy a stopped node's database into a new, empty one (e.g. SQLite to PostgreSQL),
    /// keeping every row and id; then point `database.url` at it.
    Copy {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
        /// The target database: postgres://user@host/dbname or sqlite://FILE. It must be empty;
        /// its tables are created.
        #[arg(long)]
        to: String,
    },
    /// Back up the node's database while it runs: SQLite into one file (VACUUM INTO),
    /// PostgreSQL with pg_dump (custom format). A restored backup starts in recovery.
    Backup {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
        /// The file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of the stopped node's database (SQLite: the current file and its
    /// WAL are kept beside it; PostgreSQL: database.url must name a new, empty database). On
    /// its next start the node gets back from its peers what it sent after the backup before
    /// it numbers anything new (PROTOCOL.md 7.9).
    Restore {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
        #[arg(long)]
        from: PathBuf,
    },
    /// Show a restored node's recovery (which peers answered, which streams number again);
    /// --release ends it by hand, for a peer that will never answer (see PROTOCOL.md 7.9).
    Recovery {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
        /// End recovery now: every stream numbers again from the highest seq known. A peer
        /// that has messages of this node beyond that refuses the new ones (seq_conflict).
        #[arg(long)]
        release: bool,
    },
    /// Write the daily archives (DATA_DIR/archive/DAY.jws.gz) of every finished day that has
    /// none yet, as the running node does each hour; prints the files written.
    Archive {
        #[arg(long, env = "TONGXIN_CONFIG")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Create DIR/node.key (0600), DIR/node.csr and a commented DIR/tongxin.toml.
    Init {
        #[arg(long)]
        org_id: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Alliance { command } => match command {
            AllianceCommand::Init { name, out } => cli::alliance::init(&name, &out),
            AllianceCommand::Issue {
                ca,
                csr,
                org_id,
                kind,
                out,
                days,
            } => cli::alliance::issue(&ca, &csr, &org_id, &kind, &out, days),
            AllianceCommand::Revoke { ca, cert } => cli::alliance::revoke(&ca, &cert),
            AllianceCommand::Roster {
                ca,
                orgs,
                out,
                base_url,
            } => cli::alliance::parse_base_urls(&base_url).and_then(|urls| {
                cli::alliance::roster(&ca, &orgs, out.as_deref(), &urls).map(|_| ())
            }),
        },
        Command::Node {
            command:
                NodeCommand::Init {
                    org_id,
                    kind,
                    name,
                    out,
                },
        } => cli::node_init::run(&org_id, &kind, &name, &out),
        Command::Run { config } => cli::run::run(&config),
        Command::User {
            command:
                UserCommand::Add {
                    config,
                    username,
                    role,
                },
        } => cli::user::add(&config, &username, &role),
        Command::Db {
            command: DbCommand::Copy { config, to },
        } => cli::db::copy(&config, &to).map(|_| ()),
        Command::Db {
            command: DbCommand::Archive { config },
        } => cli::db::archive(&config),
        Command::Db {
            command: DbCommand::Backup { config, to },
        } => cli::backup::backup(&config, &to),
        Command::Db {
            command: DbCommand::Restore { config, from },
        } => cli::backup::restore(&config, &from),
        Command::Db {
            command: DbCommand::Recovery { config, release },
        } => cli::backup::recovery(&config, release),
        Command::Verify {
            ca,
            revoked,
            roster,
            message,
            proof,
            archive,
        } => {
            let what = match (&proof, &archive) {
                (Some(p), _) => cli::verify::Input::Proof(p),
                (_, Some(a)) => cli::verify::Input::Archive(a),
                _ => cli::verify::Input::Message(message.as_deref()),
            };
            match cli::verify::run(&ca, revoked.as_deref(), roster.as_deref(), what) {
                Ok((text, true)) => {
                    println!("{text}");
                    Ok(())
                }
                Ok((text, false)) => {
                    println!("{text}");
                    return ExitCode::from(1);
                }
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
