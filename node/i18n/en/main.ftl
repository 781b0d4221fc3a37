# Tongxin web UI: English.
# Every key here must also be in the other catalogue (a unit test checks both ways).
# Keys that are protocol names (categories, organisation kinds, levels, statuses) are
# looked up from data: keep them spelled as the protocol spells them.

## App and navigation

app = Tongxin
offers = Offers
needs = Needs
claims = Claims
roster = Roster
exchange = Exchange
sign_in = Sign in
sign_out = Sign out
username = Username
password = Password
other_lang = 中文

## Filters

all_categories = All categories
all_kinds = All organisation kinds
all_levels = All levels
search = Search title or description
filter = Filter

## Offer categories (the protocol's names)

venue = Venue
service = Service
volunteer-skill = Volunteer skill
material = Material
funding = Funding

## Organisation kinds (the protocol's names)

street = Street
community = Community
building-alliance = Building alliance
new-employment = New-employment branch
co-building-unit = Co-building unit
org-department = Organisation department

## Need levels (street and community are above)

grid = Grid

## Statuses of offers, needs and claims

open = Open
withdrawn = Withdrawn
fulfilled = Fulfilled
pending = Pending
accepted = Accepted
declined = Declined

## Skills (the protocol's names, after skill-)

skill-medical-aid = Medical aid
skill-network-security = Network security
skill-legal = Legal advice
skill-psychological = Counselling
skill-health-education = Health education
skill-elderly-care = Elderly care
skill-child-care = Childcare
skill-repair = Appliance repair
skill-hairdressing = Hairdressing and massage
skill-culture-sports = Culture and sports
skill-disability-assistance = Disability assistance
skill-tutoring = Tutoring
skill-other = Other

## Pages and forms

skills = Skills
grids = Grids
capacity = Capacity
unit = Unit
reason = Reason
withdraw = Withdraw
publish_offer = Publish an offer
publish_need = Publish a need
publish = Publish
title = Title
description = Description
category = Category
level = Level
micro_wish = Micro-wish
fulfil = Mark fulfilled
escalate = Escalate to the street
claim = Claim
no_offer = No specific offer
note = Note
claimant = Claimant
need = Need
status = Status
accept = Accept
decline = Decline
name = Name
kind = Kind
parent = Parent
stream_health = Peer streams
peer = Sender
applied = Applied
known_head = Known head
missing_since = Missing
rejected = Rejected messages
sender = Sender
detail = Detail
saved = Saved and sent to the alliance.
too_many_sign_ins = Too many sign-in attempts from this address; please wait a moment and try again.
admin_only = This page is for administrators.

## Weekly slots a member is free (the protocol's WeeklySlot names, after slot-)
slot-mon-am = Mon morning
slot-mon-pm = Mon afternoon
slot-mon-eve = Mon evening
slot-tue-am = Tue morning
slot-tue-pm = Tue afternoon
slot-tue-eve = Tue evening
slot-wed-am = Wed morning
slot-wed-pm = Wed afternoon
slot-wed-eve = Wed evening
slot-thu-am = Thu morning
slot-thu-pm = Thu afternoon
slot-thu-eve = Thu evening
slot-fri-am = Fri morning
slot-fri-pm = Fri afternoon
slot-fri-eve = Fri evening
slot-sat-am = Sat morning
slot-sat-pm = Sat afternoon
slot-sat-eve = Sat evening
slot-sun-am = Sun morning
slot-sun-pm = Sun afternoon
slot-sun-eve = Sun evening

## Members and 双报到
members = Members
my_page = Me
reports = Reports
register_member = Register a member
register = Register
display_name = How addressed
display_name_hint = e.g. Teacher Zhang; surname + 同志 when empty
phone = Mobile phone
department = Department
residence = Residence community
availability = Free at
emergency_ready = Ready in emergencies
yes = yes
no = no
import_members = Import from a file
import_help = A CSV file, UTF-8 or GBK (Excel's Save as CSV). Header: 姓名,称呼,手机,部门,居住社区,网格,技能,可服务时段,急时可调. Separate skills and times with 、.
import_file = File
import_mode = How
mode-dry-run = Check only, import nothing
mode-all = Import only if every row is good
mode-skip-invalid = Import the good rows, skip the bad ones
import = Import
import_result = Import result
file_encoding = Encoding
rows = Rows
valid = Good
imported = Imported
import_all_good = Every row is good.
import_has_errors = These rows are wrong: correct them and import again, or choose to import the good rows.
row = Row
column = Column
value = Value
problem = Problem
import-missing = required, but empty
import-bad_phone = not a mobile number (11 digits starting with 1)
import-duplicate_phone = already registered, or twice in the file
import-unknown_skill = not a skill of the talent pool
import-unknown_slot = not a time of the week (周一上午 … 周日晚上)
import-unknown_community = no such organisation on the roster
import-not_a_community = not a community
import-unknown_grid = not a grid of that community
import-bad_flag = write 是 or 否
import-too_long = too long
import-too_many = too many entries
import-bad_file = the file cannot be read (use CSV)
export_csv = Export CSV
search_members = Name or phone
all_members = All members
has_reported = Reported
not_reported = Not reported
reporting_rate = Reporting rate
by_department = By department
by_community = By community
report_status = Reporting
report = Report
report_to = Report to
report_to_community = Report to your residence community (双报到)
report_help = The community sees only what you agree to share; your name and phone stay with your organisation.
set_password = Set a first password
reset_password = Reset the password
new_password = New password (8 characters or more)
current_password = Current password
sign_in_name = Sign-in name
save = Save
reports_received = Reports received
reports_sent = Our members' reports
receipt = Receipt
all_grids = All grids
all_skills = All skills
name_not_shared = (no name shared)
decline_reason = Reason
no_reports = No reports yet.
share_name = Share how you are addressed
share_skills = Share your skills
share_availability = Share when you are free
my_profile = My details
my_reports = My reports
change_password = Change password
person_name = Name
community_col = Community
member_only = This page is for members themselves.
more_errors = Only the first 1,000 errors are listed; errors in all:

# Signing in with your home organisation
signin_with_home = Sign in with your organisation
signin-help = A party member of another organisation? Pick your organisation, sign in and confirm there, and you come back here. This site never sees your password, name or phone.
signin-already = You are signed in:
continue = Continue
signin-no_homes = The alliance roster lists no other organisation to sign in with yet (the roster must give each one's web address).
signin-staff = Staff and members of this organisation:
signin-pick_home = Pick another organisation on the roster.
signin-refused = Sign-in refused
signin-again = Pick your organisation again
signin-confirm = Confirm who you are
signin-asks = asks you to confirm who you are. You then go back to its page.
signin-share = Tell them
signin-never_shared = Your name, phone and this organisation's internal id are not told; they only learn that you are a member here.
signin-allow = Confirm and go back
cancel = Cancel
signin-members_only = Only members of this organisation can sign in elsewhere as its members.
visit = Visiting member
visitor = Visiting member
home_org = Organisation
visit-help = You signed in here through your organisation; this site knows only what you agreed to tell it.
visit-reports = My reports to this community
visit-no_reports = You have not reported to this community. Report from "My page" at your own organisation.
signin-not_started = This sign-in did not start on this site, or started over fifteen minutes ago. Pick your organisation again.
signin-nonce_used = This sign-in token was used already and cannot be used again. Sign in again.
signin-other_home = The token comes from another organisation than the one you picked.
signin-cancelled = You cancelled the sign-in; this site learned nothing about you.
signin-no_token = The link back carries no sign-in token.
signin-invalid = The sign-in token is not valid.
signin-wrong_audience = This token was issued for another organisation and is not valid here.
signin-certificate_expired = The token has expired (it lives five minutes), or so has the certificate that signed it. Sign in again.
signin-nonce_mismatch = The token does not belong to this sign-in (it is from another one).
signin-revoked = The certificate of the organisation that signed this token has been revoked.
signin-not_on_roster = The organisation that signed this token is not on the alliance roster.
signin-unknown_issuer = The organisation that signed this token is not of this alliance.
signin-subject_mismatch = The member in the token is not a member of the organisation that signed it.
signin-other_org = A member of another organisation? Sign in with your organisation

# Co-building agreements
agreements = Agreements
agreements-help = Co-building units, 楼e家 alliances and new-employment branches report to a community: which resources they commit, which services they provide, for how long. Once the community accepts, both hold the agreement signed by both; it ends on its own at the end of its term.
agreements-none = No co-building agreements yet.
agreement-pending = Awaiting the community
agreement-declined = Declined by the community
agreement-upcoming = Not started yet
agreement-in-force = In force
agreement-ended = Ended
agreement-with = With
agreement-from = From
agreement-term = Term
agreement-resources = Resources committed
agreement-answer = The community's answer
agreement-document = The agreement signed by both
agreement-propose = Propose a co-building agreement to a community
agreement-title_hint = e.g. Co-building agreement 2027
agreement-services = Services and commitments
agreement-services_hint = e.g. a free clinic once a month; our meeting room open to the community
agreement-starts = Starts on
agreement-ends = Ends on (inclusive)
agreement-send = Send to the community

# Activities, sign-ups, check-in and the service record
activities = Activities
activities-help = Activities and service posts of the alliance's organisations. Members sign up at their own organisation; the host places them, and they confirm (only then does the host get their name and phone). At the activity they scan its QR code to check in and out; the host signs the hours, which are credited to the member's record at home.
activities-none = No activity under way or coming up.
activity-cancelled = Cancelled
activity-places = Places
activity-skills_wanted = Skills wanted
activity-manage = Sign-ups and check-in
activity-sign_up = Sign up
activity-publish = Publish an activity
activity-category = Type
activity-title_hint = e.g. Poetry reading “写小山”
activity-place = Place
activity-date = Date
activity-from = From
activity-to = To
activity-publish_button = Publish to the alliance
activity-placed = Placed
activity-show_qr = Show the check-in QR code
activity-cancel = Cancel the activity
activity-signups = Sign-ups
activity-place_member = Place
activity-tick_in = Check in for them
activity-no_signups = Nobody signed up yet.
activity-qr_help = Scan with your phone to check in: sign in with your organisation, then tap “Check in”. Scan again to check out when you leave.
activity-qr_changes = The code changes every minute; a photo of it passed around soon stops working.
activity-back = Back to the activity
activity-volunteer-service = Volunteer service
activity-party-day = Party day
activity-joint-meeting = Joint meeting
activity-home-visit = “3+2” home visits
activity-culture = Culture
activity-study = Study
activity-other = Other
signup-requested = Awaiting placement
signup-placed = Placed; awaiting the member's confirmation
signup-declined = Not placed
signup-confirmed = Confirmed
signup-cancelled = Cancelled
signup-confirm = Confirm
checked_in_at = In
checked_out_at = Out
minutes = minutes
closed_by_host = not checked out; closed by the host at the end
check_in = Check in
check_out = Check out
checkin = Check-in
checkin-credited = The host signed your hours and sent them to your organisation.
checkin-not_placed = You have no place at this activity: sign up at your organisation first and wait to be placed.
not_found = Not found.
my_signups = My sign-ups
my_record = My service record
record-total = Total service
record-hours = hours
record-empty = No service credited yet.
record-when = When
record-host = Host
record-kind = Type
record-minutes = Minutes
browse_activities = See the alliance's activities
export_record = Export the service record (CSV)
match-title = Matching
match-score = Score
match-help-members = Our members ranked by skills, the grid and community they live in, whether they are free at that time and how much they served lately (members already signed up are left out). "Propose" signs the member up with the host, sharing only how they are addressed and their skills.
match-help-offers = The alliance's offers ranked by the category asked for, skills, the grids they serve and their community and street.
match-propose = Propose
match-none-members = No member to propose.
match-none-offers = No open offer in the alliance.
match-back = Back
match-for-activity = Propose our members
match-for-need = Matching offers
match-category = category wanted
match-skills = skills
match-same-grid = same grid
match-same-community = same community
match-same-street = same street
match-free = free then
match-recent-minutes = served in the last 90 days
certificate-title = Service certificate
certificate-year = {""}
certificate-all = all
certificate-text-1 = This certifies that{" "}
certificate-text-2 = {" "}served from{" "}
certificate-text-3 = {" "}to{" "}
certificate-text-4 = {" "}at organisations of the party-building alliance, in volunteer service and other activities attested by the organisations served, for a total of{" "}
certificate-text-5 = {" "}hours in{" "}
certificate-text-6 = {" "}entries.
certificate-check = The QR code is this certificate's signed document: check it against the alliance root with tongxin verify or any JOSE library, without asking us.
certificate-number = Certificate no.
certificate-signed = Signed document (copy it to check)
certificate-print = Print this page with the browser's Print; the navigation and buttons are not printed.
certificate-link = Service certificate
