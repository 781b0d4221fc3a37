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
