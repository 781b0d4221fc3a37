//! Diesel table definitions, shared by SQLite and PostgreSQL (see migrations/).

diesel::table! {
    outbox (id) {
        id -> BigInt,
        stream -> Text,
        seq -> BigInt,
        jti -> Text,
        kind -> Text,
        routing_key -> Text,
        jws -> Text,
        created_ms -> BigInt,
        sent_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    out_streams (stream) {
        stream -> Text,
        last_seq -> BigInt,
        compacted_through -> BigInt,
    }
}

diesel::table! {
    in_streams (iss, stream) {
        iss -> Text,
        stream -> Text,
        last_seq -> BigInt,
        known_head -> BigInt,
        gap_since_ms -> Nullable<BigInt>,
        sync_requested_ms -> Nullable<BigInt>,
        last_applied_ms -> Nullable<BigInt>,
        pruned_through -> BigInt,
        compacted_through -> BigInt,
    }
}

diesel::table! {
    held (iss, stream, seq) {
        iss -> Text,
        stream -> Text,
        seq -> BigInt,
        jws -> Text,
        received_ms -> BigInt,
    }
}

diesel::table! {
    received (iss, jti) {
        iss -> Text,
        jti -> Text,
        stream -> Text,
        seq -> BigInt,
        kind -> Text,
        jws -> Text,
        applied_ms -> BigInt,
    }
}

diesel::table! {
    rejected (id) {
        id -> BigInt,
        received_ms -> BigInt,
        code -> Text,
        reason -> Text,
        iss -> Nullable<Text>,
        kind -> Nullable<Text>,
        jti -> Nullable<Text>,
        routing_key -> Text,
        user_id -> Nullable<Text>,
        raw -> Text,
    }
}

diesel::table! {
    trust (name) {
        name -> Text,
        serial -> BigInt,
        document -> Text,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    users (username) {
        username -> Text,
        password_hash -> Text,
        role -> Text,
        created_ms -> BigInt,
        disabled_ms -> Nullable<BigInt>,
        tokens_after_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    offers (org_id, id) {
        org_id -> Text,
        id -> Text,
        org_kind -> Text,
        title -> Text,
        description -> Text,
        category -> Text,
        capacity -> BigInt,
        unit -> Nullable<Text>,
        skills -> Text,
        station -> Nullable<Text>,
        grids -> Text,
        available_until -> Nullable<BigInt>,
        status -> Text,
        status_note -> Nullable<Text>,
        published_ms -> BigInt,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    needs (org_id, id) {
        org_id -> Text,
        id -> Text,
        org_kind -> Text,
        title -> Text,
        description -> Text,
        level -> Text,
        grid -> Nullable<Text>,
        micro_wish -> Nullable<Text>,
        wanted -> Nullable<Text>,
        skills -> Text,
        quantity -> BigInt,
        due -> Nullable<BigInt>,
        responsible_org -> Text,
        status -> Text,
        status_note -> Nullable<Text>,
        published_ms -> BigInt,
        updated_ms -> BigInt,
        household_id -> Nullable<Text>,
        external_ref -> Nullable<Text>,
        addressee -> Nullable<Text>,
    }
}

diesel::table! {
    claims (claimant_org, id) {
        claimant_org -> Text,
        id -> Text,
        need_org -> Text,
        need_id -> Text,
        offer_id -> Nullable<Text>,
        note -> Nullable<Text>,
        status -> Text,
        decision_note -> Nullable<Text>,
        created_ms -> BigInt,
        decided_ms -> Nullable<BigInt>,
        done_ms -> Nullable<BigInt>,
        done_summary -> Nullable<Text>,
        contact_addressee -> Nullable<Text>,
        contact_address -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        member_id -> Nullable<Text>,
        mref -> Nullable<Text>,
        member_name -> Nullable<Text>,
    }
}

diesel::table! {
    deferred (id) {
        id -> BigInt,
        iss -> Text,
        jti -> Text,
        kind -> Text,
        jws -> Text,
        received_ms -> BigInt,
    }
}

diesel::table! {
    effects (kind) {
        kind -> Text,
        applied -> BigInt,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        name -> Text,
        display_name -> Nullable<Text>,
        phone -> Text,
        department -> Nullable<Text>,
        residence_org -> Nullable<Text>,
        grid -> Nullable<Text>,
        skills -> Text,
        availability -> Text,
        emergency_ready -> Bool,
        username -> Nullable<Text>,
        created_ms -> BigInt,
        updated_ms -> BigInt,
        work_org -> Nullable<Text>,
        work_grid -> Nullable<Text>,
    }
}

diesel::table! {
    member_key (id) {
        id -> Integer,
        secret_hex -> Text,
    }
}

diesel::table! {
    reports (home_org, id) {
        home_org -> Text,
        id -> Text,
        community_org -> Text,
        mref -> Text,
        member_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        skills -> Text,
        availability -> Text,
        grid -> Nullable<Text>,
        status -> Text,
        note -> Nullable<Text>,
        receipt -> Nullable<Text>,
        submitted_ms -> BigInt,
        decided_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    member_signins (nonce) {
        nonce -> Text,
        home_org -> Text,
        next_path -> Text,
        started_ms -> BigInt,
        member_ref -> Nullable<Text>,
        display_name -> Nullable<Text>,
        skills -> Nullable<Text>,
        session_sha256 -> Nullable<Text>,
        signed_in_ms -> Nullable<BigInt>,
        expires_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    agreements (proposer_org, id) {
        proposer_org -> Text,
        id -> Text,
        community_org -> Text,
        title -> Text,
        resources -> Text,
        services -> Text,
        starts_at -> BigInt,
        ends_at -> BigInt,
        note -> Nullable<Text>,
        status -> Text,
        decision_note -> Nullable<Text>,
        proposal_jws -> Text,
        decision_jws -> Nullable<Text>,
        proposed_ms -> BigInt,
        decided_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    activities (host_org, id) {
        host_org -> Text,
        id -> Text,
        category -> Text,
        title -> Text,
        description -> Text,
        place -> Text,
        grid -> Nullable<Text>,
        starts_at -> BigInt,
        ends_at -> BigInt,
        capacity -> BigInt,
        skills -> Text,
        mode -> Text,
        status -> Text,
        note -> Nullable<Text>,
        qr_secret -> Nullable<Text>,
        published_ms -> BigInt,
        updated_ms -> BigInt,
        posts -> Text,
    }
}

diesel::table! {
    signups (home_org, id) {
        home_org -> Text,
        id -> Text,
        host_org -> Text,
        activity_id -> Text,
        mref -> Text,
        member_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        skills -> Text,
        status -> Text,
        note -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        requested_ms -> BigInt,
        updated_ms -> BigInt,
        post_id -> Nullable<Text>,
        role -> Nullable<Text>,
    }
}

diesel::table! {
    checkins (host_org, id) {
        host_org -> Text,
        id -> Text,
        activity_id -> Nullable<Text>,
        mref -> Text,
        member_id -> Nullable<Text>,
        category -> Text,
        mode -> Text,
        checked_in_at -> BigInt,
        checked_out_at -> Nullable<BigInt>,
        minutes -> Nullable<BigInt>,
        closed_by_host -> Bool,
        corrects -> Nullable<Text>,
        superseded -> Bool,
        attestation -> Nullable<Text>,
        created_ms -> BigInt,
    }
}

diesel::table! {
    service_logs (home_org, id) {
        home_org -> Text,
        id -> Text,
        community_org -> Text,
        mref -> Text,
        member_id -> Nullable<Text>,
        what -> Text,
        category -> Text,
        grid -> Nullable<Text>,
        started_at -> BigInt,
        ended_at -> BigInt,
        minutes -> BigInt,
        status -> Text,
        note -> Nullable<Text>,
        logged_ms -> BigInt,
        decided_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    feedback (community_org, id) {
        community_org -> Text,
        id -> Text,
        mref -> Text,
        member_id -> Nullable<Text>,
        period_starts_at -> BigInt,
        period_ends_at -> BigInt,
        minutes -> BigInt,
        activities -> BigInt,
        grade -> Text,
        evaluation -> Text,
        superseded -> Bool,
        document -> Text,
        sent_ms -> BigInt,
    }
}

diesel::table! {
    households (id) {
        id -> Text,
        label -> Text,
        name -> Text,
        address -> Text,
        phone -> Nullable<Text>,
        grid -> Nullable<Text>,
        situation -> Text,
        created_ms -> BigInt,
        building_id -> Nullable<Text>,
    }
}

diesel::table! {
    buildings (id) {
        id -> Text,
        name -> Text,
        grid -> Nullable<Text>,
        head -> Nullable<Text>,
        created_ms -> BigInt,
    }
}

diesel::table! {
    pairings (community_org, id) {
        community_org -> Text,
        id -> Text,
        mref -> Text,
        member_id -> Nullable<Text>,
        household_id -> Nullable<Text>,
        household_label -> Text,
        started_at -> BigInt,
        ended_ms -> Nullable<BigInt>,
        end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        created_ms -> BigInt,
    }
}

diesel::table! {
    team_members (team_id, mref) {
        team_id -> Text,
        mref -> Text,
        home_org -> Text,
        report_id -> Text,
        added_ms -> BigInt,
    }
}

diesel::table! {
    invitations (host_org, id) {
        host_org -> Text,
        id -> Text,
        activity_id -> Text,
        mref -> Text,
        member_id -> Nullable<Text>,
        team -> Text,
        post_id -> Nullable<Text>,
        role -> Nullable<Text>,
        note -> Nullable<Text>,
        status -> Text,
        signup_id -> Nullable<Text>,
        sent_ms -> BigInt,
    }
}

diesel::table! {
    emergencies (declarer_org, id) {
        declarer_org -> Text,
        id -> Text,
        title -> Text,
        description -> Text,
        communities -> Text,
        grids -> Text,
        posts -> Text,
        starts_at -> BigInt,
        answer_within_secs -> BigInt,
        declared_ms -> BigInt,
        b_called_ms -> Nullable<BigInt>,
        closed_ms -> Nullable<BigInt>,
        summary -> Nullable<Text>,
    }
}

diesel::table! {
    emergency_calls (declarer_org, emergency_id, member_id) {
        declarer_org -> Text,
        emergency_id -> Text,
        member_id -> Text,
        post_id -> Text,
        role -> Text,
        called_ms -> BigInt,
        answered_ms -> Nullable<BigInt>,
        available -> Nullable<Bool>,
    }
}

diesel::table! {
    emergency_volunteers (emergency_id, mref) {
        emergency_id -> Text,
        mref -> Text,
        home_org -> Text,
        post_id -> Text,
        role -> Text,
        display_name -> Nullable<Text>,
        skills -> Text,
        received_ms -> BigInt,
    }
}

diesel::table! {
    participation_sent (side, period, period_start, revision) {
        side -> Text,
        period -> Text,
        period_start -> BigInt,
        revision -> BigInt,
        report_id -> Text,
        digest -> Text,
        jws -> Text,
        sent_ms -> BigInt,
    }
}

diesel::table! {
    need_events (id) {
        id -> BigInt,
        need_org -> Text,
        need_id -> Text,
        at_ms -> BigInt,
        event -> Text,
        by_org -> Text,
        claimant_org -> Nullable<Text>,
        claim_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    need_escalations (need_id) {
        need_id -> Text,
        escalated_ms -> BigInt,
    }
}

diesel::table! {
    participation_parts (iss, report_id, part) {
        iss -> Text,
        report_id -> Text,
        part -> BigInt,
        side -> Text,
        period -> Text,
        period_start -> BigInt,
        revision -> BigInt,
        parts -> BigInt,
        jti -> Text,
        body -> Text,
        jws -> Text,
        received_ms -> BigInt,
    }
}

diesel::table! {
    participation_current (iss, side, period, period_start) {
        iss -> Text,
        side -> Text,
        period -> Text,
        period_start -> BigInt,
        revision -> BigInt,
        report_id -> Text,
        k -> BigInt,
        members -> BigInt,
        members_reported -> BigInt,
        members_active -> BigInt,
        members_hosted -> BigInt,
        reporting_members -> BigInt,
        activities -> BigInt,
        checkins -> BigInt,
        minutes -> BigInt,
        needs_fulfilled -> BigInt,
        wishes_confirmed -> BigInt,
        escalations -> BigInt,
        emergency_posts -> BigInt,
        emergency_posts_filled -> BigInt,
        fill_secs -> Text,
        received_ms -> BigInt,
    }
}

diesel::table! {
    participation_cells (iss, side, period, period_start, counterpart, category, mode) {
        iss -> Text,
        side -> Text,
        period -> Text,
        period_start -> BigInt,
        counterpart -> Text,
        category -> Text,
        mode -> Text,
        suppressed -> Bool,
        members -> BigInt,
        checkins -> BigInt,
        minutes -> BigInt,
    }
}

diesel::table! {
    participation_roots (iss, side, period, period_start, counterpart) {
        iss -> Text,
        side -> Text,
        period -> Text,
        period_start -> BigInt,
        counterpart -> Text,
        checkins -> BigInt,
        root -> Text,
    }
}

diesel::table! {
    participation_grids (iss, period, period_start, grid, category) {
        iss -> Text,
        period -> Text,
        period_start -> BigInt,
        grid -> Text,
        category -> Text,
        members -> BigInt,
        checkins -> BigInt,
        minutes -> BigInt,
    }
}

diesel::table! {
    participation_pairs (period, period_start, home, host) {
        period -> Text,
        period_start -> BigInt,
        home -> Text,
        host -> Text,
        state -> Text,
        differences -> Text,
        home_jtis -> Text,
        host_jtis -> Text,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    participation_flags (id) {
        id -> Text,
        period -> Text,
        period_start -> BigInt,
        home -> Text,
        host -> Text,
        differences -> Text,
        home_jtis -> Text,
        host_jtis -> Text,
        raised_ms -> BigInt,
        cleared_ms -> Nullable<BigInt>,
    }
}

// The sweep of overdue needs looks for claims under way on each (store::needs::overdue).
diesel::allow_tables_to_appear_in_same_query!(needs, claims);

diesel::table! {
    recovery (id) {
        id -> Integer,
        started_ms -> BigInt,
    }
}

diesel::table! {
    recovery_answers (peer, stream) {
        peer -> Text,
        stream -> Text,
        last_seq -> BigInt,
        done_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    recovery_released (stream) {
        stream -> Text,
        released_ms -> BigInt,
    }
}
