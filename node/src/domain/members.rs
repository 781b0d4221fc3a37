//! Members whose home is this organisation (在职党员, the talent pool 属地人才库): registered by
//! an admin or imported from a spreadsheet, exported again, given a sign-in. Their name, phone
//! and id never leave this node; other organisations know each of them by a pairwise reference
//! ([`mref`]).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use strum::VariantArray;
use tongxin_schema::roster::{Roster, RosterOrg};
use tongxin_schema::v1::taxonomy::{Skill, WeeklySlot};
use tongxin_schema::v1::text::Text;
use tongxin_schema::{MemberRef, OrgId, OrgKind};
use uuid::Uuid;

use super::{ActionError, Actor, Invalid, json_list};
use crate::i18n::{self, Lang};
use crate::store::members::{self as rows, MemberRow};
use crate::store::{AnyConnection, StoreResult};

/// A member as an admin enters them.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MemberInput")]
pub struct NewMember {
    pub name: Text<1, 64>,
    /// How they are addressed where they report (称呼, e.g. 张老师); `张同志` for 张建国 when
    /// absent. The name itself never leaves this node.
    pub display_name: Option<Text<1, 64>>,
    /// A mainland mobile number (11 digits, `+86` and spaces allowed).
    pub phone: String,
    pub department: Option<Text<1, 64>>,
    /// The community they live in (its org id on the roster).
    pub residence_org: Option<OrgId>,
    /// Their grid in that community.
    pub grid: Option<Text<1, 64>>,
    /// The community they work in, when it is on the roster (an office tower's, a unit's).
    /// An emergency calls members who live or work in its area.
    pub work_org: Option<OrgId>,
    /// Their grid in the community they work in.
    pub work_grid: Option<Text<1, 64>>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    #[serde(default)]
    pub availability: Vec<WeeklySlot>,
    /// 急时可调: may be called on in an emergency.
    #[serde(default)]
    pub emergency_ready: bool,
}

/// The most skills a member lists (the wire's limit).
const MAX_SKILLS: usize = tongxin_schema::v1::bodies::MAX_SKILLS;

/// `13800138000` from `+86 138-0013-8000` and the like; `None` unless it is a mainland mobile
/// number.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits);
    let b = digits.as_bytes();
    (b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit))
    .then(|| digits.to_owned())
}

/// Checks a member against the roster; `field` errors name the input's fields.
fn validate(roster: &Roster, i: &NewMember) -> Result<String, Invalid> {
    let phone = normalise_phone(&i.phone).ok_or_else(|| {
        Invalid::field(
            "phone",
            format!(
                "{:?} is not a mainland mobile number (11 digits, 1[3-9]…)",
                i.phone
            ),
        )
    })?;
    check_place(
        roster,
        ("residence_org", &i.residence_org),
        ("grid", &i.grid),
        "residence",
    )?;
    check_place(
        roster,
        ("work_org", &i.work_org),
        ("work_grid", &i.work_grid),
        "work",
    )?;
    if i.skills.len() > MAX_SKILLS {
        return Err(Invalid::field(
            "skills",
            format!("at most {MAX_SKILLS} skills are allowed"),
        ));
    }
    Ok(phone)
}

/// A community on the roster and one of its grids (where the member lives, or works).
fn check_place(
    roster: &Roster,
    (org_field, org): (&str, &Option<OrgId>),
    (grid_field, grid): (&str, &Option<Text<1, 64>>),
    place: &str,
) -> Result<(), Invalid> {
    let Some(org) = org else {
        return match grid {
            Some(_) => Err(Invalid::field(
                grid_field,
                format!("a grid needs a {place} community"),
            )),
            None => Ok(()),
        };
    };
    let community = roster
        .org(org)
        .ok_or_else(|| Invalid::field(org_field, format!("{org} is not on the roster")))?;
    if community.kind != OrgKind::Community {
        return Err(Invalid::field(
            org_field,
            format!("{org} is a {}, not a community", community.kind),
        ));
    }
    if let Some(g) = grid
        && !community.has_grid(g.as_str())
    {
        return Err(Invalid::field(
            grid_field,
            format!("{g} is not one of {org}'s grids"),
        ));
    }
    Ok(())
}

fn sorted<T: Ord + Copy>(items: &[T]) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    v
}

fn row(id: String, phone: String, i: &NewMember, at_ms: i64) -> MemberRow {
    MemberRow {
        id,
        name: i.name.to_string(),
        display_name: i.display_name.as_ref().map(|d| d.to_string()),
        phone,
        department: i.department.as_ref().map(|d| d.to_string()),
        residence_org: i.residence_org.as_ref().map(|o| o.to_string()),
        grid: i.grid.as_ref().map(|g| g.to_string()),
        work_org: i.work_org.as_ref().map(|o| o.to_string()),
        work_grid: i.work_grid.as_ref().map(|g| g.to_string()),
        skills: json_list(&sorted(&i.skills)),
        availability: json_list(&sorted(&i.availability)),
        emergency_ready: i.emergency_ready,
        username: None,
        created_ms: at_ms,
        updated_ms: at_ms,
    }
}

fn phone_taken(
    conn: &mut AnyConnection,
    phone: &str,
    not: Option<&str>,
) -> Result<(), ActionError> {
    if let Some(other) = rows::find_by_phone(conn, phone)?
        && Some(other.id.as_str()) != not
    {
        return Err(Invalid::field(
            "phone",
            format!("{phone} is already registered (member {})", other.name),
        )
        .into());
    }
    Ok(())
}

/// How the member is addressed, for a message to another organisation, if they share it.
pub fn shared_name(m: &MemberRow, share: bool) -> Option<Text<1, 64>> {
    share
        .then(|| Text::try_from(addressed_as(m)).ok())
        .flatten()
}

/// How a member is addressed where they report: their 称呼, else their surname and 同志
/// (张建国 → 张同志); never their full name.
pub fn addressed_as(m: &MemberRow) -> String {
    match &m.display_name {
        Some(d) => d.clone(),
        None => format!("{}同志", m.name.chars().next().unwrap_or('?')),
    }
}

/// Registers a member at this (their home) organisation.
pub fn register(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewMember,
) -> Result<MemberRow, ActionError> {
    let phone = validate(actor.roster, &i)?;
    phone_taken(conn, &phone, None)?;
    let r = row(Uuid::now_v7().to_string(), phone, &i, actor.now_ms);
    rows::insert(conn, std::slice::from_ref(&r))?;
    Ok(r)
}

/// Changes what an admin entered about a member (their sign-in stays as it is).
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    i: NewMember,
) -> Result<MemberRow, ActionError> {
    let old = find(conn, id)?;
    let phone = validate(actor.roster, &i)?;
    phone_taken(conn, &phone, Some(&old.id))?;
    let mut r = row(old.id.clone(), phone, &i, actor.now_ms);
    r.created_ms = old.created_ms;
    r.username = old.username;
    rows::update(conn, &r)?;
    Ok(r)
}

pub fn find(conn: &mut AnyConnection, id: Uuid) -> Result<MemberRow, ActionError> {
    Ok(rows::find(conn, &id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("member {id}")))?)
}

/// Gives a member a sign-in with the `member` role: their phone number and a first password
/// (hashed by the caller, off the writer). Returns the user name.
pub fn set_password(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    password_hash: &str,
) -> Result<String, ActionError> {
    let mut m = find(conn, id)?;
    let username = m.username.clone().unwrap_or_else(|| m.phone.clone());
    if let Some(u) = crate::store::users::find(conn, &username)?
        && u.role != "member"
    {
        return Err(Invalid::Conflict(format!(
            "the user name {username} belongs to a {} account",
            u.role
        ))
        .into());
    }
    // A number another member signed in with (before their phone changed) stays theirs.
    if let Some(other) = rows::find_by_username(conn, &username)?
        && other.id != m.id
    {
        return Err(Invalid::Conflict(format!(
            "the user name {username} is the sign-in of member {}",
            other.name
        ))
        .into());
    }
    crate::store::users::put(conn, &username, password_hash, "member", actor.now_ms)?;
    if m.username.is_none() {
        m.username = Some(username.clone());
        rows::update(conn, &m)?;
    }
    Ok(username)
}

/// How `member` is known at `host` (PROTOCOL.md §2.3): the same at one host every time,
/// different at every other.
pub fn mref(
    conn: &mut AnyConnection,
    home: &OrgId,
    host: &OrgId,
    member: Uuid,
) -> StoreResult<MemberRef> {
    let fresh: [u8; 32] = rand::random();
    let key = rows::key(conn, &hex::encode(fresh))?;
    let key = hex::decode(&key)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("member_key: {e}")))?;
    Ok(MemberRef::pairwise(home.clone(), &key, host, member))
}

// ---- Import and export --------------------------------------------------------------------

/// What to do with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    /// Check every row, import nothing.
    DryRun,
    /// Import only if every row is good.
    All,
    /// Import the good rows, leave out the bad ones.
    SkipInvalid,
}

/// One thing wrong with one row.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RowError {
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: usize,
    /// The column's header, as in the file.
    pub column: String,
    /// A stable name for the error (the UI words it): `missing`, `bad_phone`,
    /// `duplicate_phone`, `unknown_skill`, `unknown_slot`, `unknown_community`,
    /// `not_a_community`, `unknown_grid`, `bad_flag`, `too_long`, `too_many`, `bad_file`.
    pub code: &'static str,
    /// The value that was wrong.
    pub value: String,
    pub message: String,
}

/// What an import found and did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ImportReport {
    pub mode: ImportMode,
    /// The file's text encoding, as read: `UTF-8` or `GBK`.
    pub encoding: &'static str,
    /// Data rows in the file (not counting the header).
    pub rows: usize,
    /// Rows without errors.
    pub valid: usize,
    pub imported: usize,
    /// All errors found; `errors` lists the first [`MAX_REPORTED_ERRORS`].
    pub error_count: usize,
    pub errors: Vec<RowError>,
}

/// The most rows one file may hold.
pub const MAX_IMPORT_ROWS: usize = 50_000;
/// The most row errors a report lists (`error_count` counts them all): a broken file must not
/// make a report larger than the file.
pub const MAX_REPORTED_ERRORS: usize = 1_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    DisplayName,
    Phone,
    Department,
    Residence,
    Grid,
    WorkPlace,
    WorkGrid,
    Skills,
    Availability,
    EmergencyReady,
}

/// Headers each column is known by (Chinese as the export writes them, then other spellings).
const HEADERS: [(Column, &[&str]); 11] = [
    (Column::Name, &["姓名", "name"]),
    (Column::DisplayName, &["称呼", "display_name"]),
    (
        Column::Phone,
        &["手机", "手机号", "手机号码", "电话", "phone"],
    ),
    (Column::Department, &["部门", "工作部门", "department"]),
    (
        Column::Residence,
        &["居住社区", "社区", "residence", "residence_org"],
    ),
    (Column::Grid, &["网格", "grid"]),
    (Column::WorkPlace, &["工作社区", "工作地社区", "work_org"]),
    (Column::WorkGrid, &["工作网格", "work_grid"]),
    (Column::Skills, &["技能", "专业技能", "skills"]),
    (
        Column::Availability,
        &["可服务时段", "服务时段", "availability"],
    ),
    (Column::EmergencyReady, &["急时可调", "emergency_ready"]),
];

/// Text from the file's bytes: UTF-8 (with or without a BOM), else GBK (GB18030), which is
/// what Excel writes on Chinese Windows.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            (text.into_owned(), "GBK")
        }
    }
}

/// A vocabulary value from its wire name or its Chinese label (as the export writes it).
fn lookup<T: VariantArray + Copy + Into<&'static str>>(prefix: &str, word: &str) -> Option<T> {
    T::VARIANTS.iter().copied().find(|v| {
        let name: &'static str = (*v).into();
        name == word || i18n::message(Lang::ZhCn, &format!("{prefix}-{name}")) == word
    })
}

fn words(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', '；', '、', ',', '，', '|', '/'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
}

fn flag(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "" | "否" | "no" | "n" | "false" | "0" => Some(false),
        "是" | "yes" | "y" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// Reads, checks and (unless `mode` says not to) imports members from a CSV file.
pub fn import(
    conn: &mut AnyConnection,
    actor: &Actor,
    bytes: &[u8],
    mode: ImportMode,
) -> Result<ImportReport, ActionError> {
    let (text, encoding) = decode(bytes);
    let mut report = ImportReport {
        mode,
        encoding,
        rows: 0,
        valid: 0,
        imported: 0,
        error_count: 0,
        errors: Vec::new(),
    };
    let file_error = |report: &mut ImportReport, message: String| {
        report.errors.push(RowError {
            row: 1,
            column: String::new(),
            code: "bad_file",
            value: String::new(),
            message,
        });
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect(),
        Err(e) => {
            file_error(&mut report, format!("the file is not CSV: {e}"));
            return Ok(report);
        }
    };
    let columns: Vec<Option<Column>> = headers
        .iter()
        .map(|h| {
            HEADERS
                .iter()
                .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
                .map(|(c, _)| *c)
        })
        .collect();
    for (needed, label) in [(Column::Name, "姓名"), (Column::Phone, "手机")] {
        if !columns.contains(&Some(needed)) {
            file_error(&mut report, format!("the header has no {label} column"));
        }
    }
    if !report.errors.is_empty() {
        return Ok(report);
    }

    let mut seen: HashSet<String> = rows::phones(conn)?.into_iter().collect();
    let mut good = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row_no = n + 2;
        if record
            .as_ref()
            .is_ok_and(|r| r.iter().all(|c| c.trim().is_empty()))
        {
            continue; // a blank line, as Excel leaves at the end
        }
        report.rows += 1;
        if report.rows > MAX_IMPORT_ROWS {
            report.errors.push(RowError {
                row: row_no,
                column: String::new(),
                code: "too_many",
                value: String::new(),
                message: format!("a file holds at most {MAX_IMPORT_ROWS} members; split it"),
            });
            report.valid = 0;
            return Ok(report);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(RowError {
                    row: row_no,
                    column: String::new(),
                    code: "bad_file",
                    value: String::new(),
                    message: format!("this row cannot be read: {e}"),
                });
                continue;
            }
        };
        let before = report.errors.len();
        if let Some((member, phone)) = read_row(
            actor.roster,
            &headers,
            &columns,
            &record,
            row_no,
            &mut report.errors,
        ) && report.errors.len() == before
        {
            if !seen.insert(phone.clone()) {
                report.errors.push(RowError {
                    row: row_no,
                    column: header_of(&headers, &columns, Column::Phone),
                    code: "duplicate_phone",
                    value: phone.clone(),
                    message: format!(
                        "{phone} is already registered or appears earlier in the file"
                    ),
                });
                continue;
            }
            good.push(row(
                Uuid::now_v7().to_string(),
                phone,
                &member,
                actor.now_ms,
            ));
        }
    }
    report.valid = good.len();
    report.error_count = report.errors.len();
    report.errors.truncate(MAX_REPORTED_ERRORS);
    let import = match mode {
        ImportMode::DryRun => false,
        ImportMode::All => report.errors.is_empty(),
        ImportMode::SkipInvalid => true,
    };
    if import {
        rows::insert(conn, &good)?;
        report.imported = good.len();
    }
    Ok(report)
}

fn header_of(headers: &[String], columns: &[Option<Column>], c: Column) -> String {
    columns
        .iter()
        .position(|x| *x == Some(c))
        .map(|i| headers[i].clone())
        .unwrap_or_default()
}

/// One data row as a [`NewMember`] and its normalised phone, or errors pushed to `errors`.
fn read_row(
    roster: &Roster,
    headers: &[String],
    columns: &[Option<Column>],
    record: &csv::StringRecord,
    row_no: usize,
    errors: &mut Vec<RowError>,
) -> Option<(NewMember, String)> {
    let cell = |c: Column| -> (String, &str) {
        match columns.iter().position(|x| *x == Some(c)) {
            Some(i) => {
                let v = record.get(i).unwrap_or("").trim();
                // What the export escaped for Excel (see spreadsheet_safe).
                let v = match v.strip_prefix('\'') {
                    Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
                    _ => v,
                };
                (headers[i].clone(), v)
            }
            None => (String::new(), ""),
        }
    };
    let mut err = |column: String, code: &'static str, value: &str, message: String| {
        errors.push(RowError {
            row: row_no,
            column,
            code,
            value: value.to_owned(),
            message,
        });
    };

    let (h, v) = cell(Column::Name);
    let name = match Text::<1, 64>::try_from(v.to_owned()) {
        Ok(n) => Some(n),
        Err(_) if v.is_empty() => {
            err(h, "missing", v, "a name is required".into());
            None
        }
        Err(e) => {
            err(h, "too_long", v, e.to_string());
            None
        }
    };
    let (h, v) = cell(Column::DisplayName);
    let display_name = match v {
        "" => None,
        v => Text::<1, 64>::try_from(v.to_owned())
            .map_err(|e| err(h, "too_long", v, e.to_string()))
            .ok(),
    };
    let (h, v) = cell(Column::Phone);
    let phone = normalise_phone(v);
    if phone.is_none() {
        let code = if v.is_empty() { "missing" } else { "bad_phone" };
        err(h, code, v, format!("{v:?} is not a mainland mobile number"));
    }
    let (h, v) = cell(Column::Department);
    let department = match v {
        "" => None,
        v => Text::<1, 64>::try_from(v.to_owned())
            .map_err(|e| err(h, "too_long", v, e.to_string()))
            .ok(),
    };
    let (residence, grid) = place_cells(
        roster,
        (cell(Column::Residence), cell(Column::Grid)),
        "residence",
        &mut err,
    );
    let (work_place, work_grid) = place_cells(
        roster,
        (cell(Column::WorkPlace), cell(Column::WorkGrid)),
        "work",
        &mut err,
    );
    let (h, v) = cell(Column::Skills);
    let mut skills = Vec::new();
    // A cell lists a few words; past that it is broken, and one error says so.
    for w in words(v).take(MAX_SKILLS + 1) {
        match lookup::<Skill>("skill", w) {
            Some(s) => skills.push(s),
            None => err(
                h.clone(),
                "unknown_skill",
                w,
                format!("{w} is not a skill of the talent pool"),
            ),
        }
    }
    let skills = sorted(&skills);
    if skills.len() > MAX_SKILLS {
        err(h, "too_many", v, format!("at most {MAX_SKILLS} skills"));
    }
    let (h, v) = cell(Column::Availability);
    let mut availability = Vec::new();
    for w in words(v).take(tongxin_schema::v1::bodies::MAX_SLOTS + 1) {
        match lookup::<WeeklySlot>("slot", w) {
            Some(s) => availability.push(s),
            None => err(
                h.clone(),
                "unknown_slot",
                w,
                format!("{w} is not a time of the week (周一上午 … 周日晚上)"),
            ),
        }
    }
    let (h, v) = cell(Column::EmergencyReady);
    let emergency_ready = flag(v).unwrap_or_else(|| {
        err(h, "bad_flag", v, format!("{v} is neither 是 nor 否"));
        false
    });
    let member = NewMember {
        name: name?,
        display_name,
        phone: phone.clone()?,
        department,
        residence_org: residence.map(|o| o.id.clone()),
        grid,
        work_org: work_place.map(|o| o.id.clone()),
        work_grid,
        skills,
        availability,
        emergency_ready,
    };
    Some((member, phone?))
}

/// A community cell (its org id or its name on the roster) and a grid cell of it, for where
/// the member lives or works (`place`).
fn place_cells<'r>(
    roster: &'r Roster,
    ((h, v), (hg, vg)): ((String, &str), (String, &str)),
    place: &str,
    err: &mut impl FnMut(String, &'static str, &str, String),
) -> (Option<&'r RosterOrg>, Option<Text<1, 64>>) {
    let community = match v {
        "" => None,
        v => match roster
            .orgs()
            .iter()
            .find(|o| o.id.as_str() == v || o.name.as_str() == v)
        {
            None => {
                err(
                    h,
                    "unknown_community",
                    v,
                    format!("{v} is not an organisation on the roster"),
                );
                None
            }
            Some(o) if o.kind != OrgKind::Community => {
                err(h, "not_a_community", v, format!("{v} is not a community"));
                None
            }
            Some(o) => Some(o),
        },
    };
    let grid = match vg {
        "" => None,
        v => match Text::<1, 64>::try_from(v.to_owned()) {
            Err(e) => {
                err(hg, "too_long", v, e.to_string());
                None
            }
            Ok(g) => {
                match community {
                    None => err(
                        hg,
                        "unknown_grid",
                        v,
                        format!("a grid needs a {place} community"),
                    ),
                    Some(c) if !c.has_grid(v) => err(
                        hg,
                        "unknown_grid",
                        v,
                        format!("{v} is not one of {}'s grids", c.name),
                    ),
                    _ => {}
                }
                Some(g)
            }
        },
    };
    (community, grid)
}

/// A cell Excel would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`,
/// which Excel shows as text; [`import`] takes it off again.
pub(crate) fn spreadsheet_safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Every member as CSV, with the headers and labels [`import`] reads back (a UTF-8 BOM first,
/// so that Excel opens it as UTF-8).
pub fn export(roster: &Roster, members: &[MemberRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = HEADERS.iter().map(|(_, names)| names[0]).collect();
    let labels = |prefix: &str, json: &str| -> String {
        let names: Vec<String> = serde_json::from_str(json).unwrap_or_default();
        names
            .iter()
            .map(|n| i18n::message(Lang::ZhCn, &format!("{prefix}-{n}")).into_owned())
            .collect::<Vec<_>>()
            .join("、")
    };
    let mut lines = vec![header.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()];
    for m in members {
        let name_of = |org: &Option<String>| {
            org.as_deref()
                .map(|id| {
                    roster
                        .orgs()
                        .iter()
                        .find(|o| o.id.as_str() == id)
                        .map(|o| o.name.to_string())
                        .unwrap_or_else(|| id.to_owned())
                })
                .unwrap_or_default()
        };
        lines.push(vec![
            m.name.clone(),
            m.display_name.clone().unwrap_or_default(),
            m.phone.clone(),
            m.department.clone().unwrap_or_default(),
            name_of(&m.residence_org),
            m.grid.clone().unwrap_or_default(),
            name_of(&m.work_org),
            m.work_grid.clone().unwrap_or_default(),
            labels("skill", &m.skills),
            labels("slot", &m.availability),
            if m.emergency_ready { "是" } else { "否" }.to_owned(),
        ]);
    }
    for l in lines {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(l.into_iter().map(spreadsheet_safe));
    }
    let body = w.into_inner().unwrap_or_default();
    format!("\u{FEFF}{}", String::from_utf8_lossy(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(
            normalise_phone("138 0013 8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalise_phone("+86 138-0013-8000").as_deref(),
            Some("13800138000")
        );
        for bad in [
            "",
            "1380013800",
            "23800138000",
            "12800138000",
            "1380013800x",
            "138001380001",
        ] {
            assert_eq!(normalise_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_and_wire_names_both_read() {
        assert_eq!(lookup::<Skill>("skill", "法律咨询"), Some(Skill::Legal));
        assert_eq!(lookup::<Skill>("skill", "legal"), Some(Skill::Legal));
        assert_eq!(lookup::<Skill>("skill", "炒股"), None);
        assert_eq!(
            lookup::<WeeklySlot>("slot", "周六上午"),
            Some(WeeklySlot::SatAm)
        );
        assert_eq!(words("法律咨询、心理咨询;  维修").count(), 3);
    }

    #[test]
    fn formulas_are_exported_as_text_and_read_back() {
        assert_eq!(
            spreadsheet_safe("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(spreadsheet_safe("-1".into()), "'-1");
        assert_eq!(spreadsheet_safe("张三".into()), "张三");
    }

    #[test]
    fn gbk_files_are_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,手机\n张三,13800138000\n");
        let (text, enc) = decode(&gbk);
        assert_eq!(enc, "GBK");
        assert!(text.contains("张三"));
        let (text, enc) = decode("\u{FEFF}姓名".as_bytes());
        assert_eq!((text.as_str(), enc), ("姓名", "UTF-8"));
    }
}
