//! One schema for both backends, in types every backend shares
//! (Text for UUIDs and codes, Timestamp naive UTC, Integer/BigInt, Bool, Double).

diesel::table! {
    laender (code) {
        code -> Text,
        name -> Text,
        population -> BigInt,
        population_2023 -> Nullable<BigInt>,
        gemeinden_count -> Integer,
    }
}

diesel::table! {
    koenigsteiner_shares (year, land_code) {
        year -> Integer,
        land_code -> Text,
        share_e5 -> BigInt,
    }
}

diesel::table! {
    kreise (code) {
        code -> Text,
        name -> Text,
        kind -> Text,
        land_code -> Text,
        population -> BigInt,
        gemeinden_count -> Integer,
    }
}

diesel::table! {
    gemeinden (ags) {
        ags -> Text,
        ars -> Text,
        name -> Text,
        kind -> Text,
        gemeindefrei -> Bool,
        land_code -> Text,
        kreis_code -> Nullable<Text>,
        gemeindeverband -> Nullable<Text>,
        population -> BigInt,
        area_km2 -> Nullable<Double>,
        postcode -> Nullable<Text>,
        longitude -> Nullable<Double>,
        latitude -> Nullable<Double>,
        urbanisation -> Nullable<Text>,
    }
}

diesel::table! {
    themenfelder (id) {
        id -> Integer,
        name -> Text,
        lead_land_code -> Nullable<Text>,
        lead_bundesressort -> Nullable<Text>,
    }
}

diesel::table! {
    lebenslagen (id) {
        id -> Integer,
        name -> Text,
        themenfeld_id -> Integer,
    }
}

diesel::table! {
    ozg_leistungen (ozg_id) {
        ozg_id -> Integer,
        name -> Text,
        lebenslage_id -> Integer,
        themenfeld_id -> Integer,
    }
}

diesel::table! {
    leika_leistungen (id) {
        id -> Integer,
        leika_key -> Nullable<Text>,
        name -> Text,
        ozg_id -> Nullable<Integer>,
        leika_typ -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        laws -> Nullable<Text>,
        law_abbreviations -> Nullable<Text>,
        sdg1_relevant -> Bool,
        sdg2_relevant -> Bool,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        land_code -> Nullable<Text>,
        ags -> Nullable<Text>,
        ars -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    online_services (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        provider_org_id -> Text,
        lead_land_code -> Nullable<Text>,
        efa -> Bool,
        status -> Nullable<Text>,
        reifegrad -> Nullable<Integer>,
        url -> Nullable<Text>,
        price_model -> Nullable<Text>,
        one_off_fee_cents -> Nullable<BigInt>,
        annual_fee_cents -> Nullable<BigInt>,
        per_inhabitant_cents -> Nullable<BigInt>,
        per_use_cents -> Nullable<BigInt>,
        source -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        listing_state -> Text,
        revision -> Integer,
        content -> Nullable<Text>,
        review_note -> Nullable<Text>,
        published_content -> Nullable<Text>,
        published_version -> Nullable<Integer>,
        reach -> Text,
    }
}

diesel::table! {
    online_service_ozg_leistungen (online_service_id, ozg_id) {
        online_service_id -> Text,
        ozg_id -> Integer,
    }
}

diesel::table! {
    online_service_anbindungen (online_service_id, kind) {
        online_service_id -> Text,
        kind -> Text,
    }
}

diesel::table! {
    efa_mindestanforderungen (code) {
        code -> Text,
        version -> Text,
        criterion -> Text,
        description -> Text,
        category -> Text,
        mandatory -> Text,
        source -> Text,
    }
}

diesel::table! {
    search_synonyms (term, means) {
        term -> Text,
        means -> Text,
        reason -> Text,
    }
}

diesel::table! {
    listing_versions (online_service_id, version) {
        online_service_id -> Text,
        version -> Integer,
        content -> Text,
        published_at -> Timestamp,
        approved_by -> Text,
    }
}

diesel::table! {
    org_memberships (bundler_org_id, member_org_id) {
        bundler_org_id -> Text,
        member_org_id -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_org_id -> Nullable<Text>,
        action -> Text,
        resource_type -> Text,
        resource_id -> Text,
        owner_org_id -> Nullable<Text>,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}


diesel::table! {
    reuse_requests (id) {
        id -> Text,
        online_service_id -> Text,
        listing_version -> Integer,
        requester_org_id -> Text,
        land_code -> Text,
        state -> Text,
        revision -> Integer,
        note -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        provider_org_id -> Text,
    }
}

diesel::table! {
    reuse_request_provider_counts (provider_org_id, land_code, state, own, slot) {
        provider_org_id -> Text,
        land_code -> Text,
        state -> Text,
        own -> Integer,
        slot -> Integer,
        n -> BigInt,
    }
}

diesel::table! {
    agreement_counts (org_id, side, state, awaiting, slot) {
        org_id -> Text,
        side -> Text,
        state -> Text,
        awaiting -> Integer,
        slot -> Integer,
        n -> BigInt,
    }
}

diesel::table! {
    adoption_counts (land_code, online_service_id, month, slot) {
        land_code -> Text,
        online_service_id -> Text,
        month -> Text,
        slot -> Integer,
        signed -> BigInt,
        went_live -> BigInt,
    }
}

diesel::table! {
    audit_counts (scope, slot) {
        scope -> Text,
        slot -> Integer,
        n -> BigInt,
    }
}

diesel::table! {
    reuse_request_counts (land_code, state, slot) {
        land_code -> Text,
        state -> Text,
        slot -> Integer,
        n -> BigInt,
    }
}

diesel::table! {
    reuse_request_municipalities (request_id, municipality_org_id) {
        request_id -> Text,
        municipality_org_id -> Text,
        state -> Text,
    }
}

diesel::table! {
    request_messages (id) {
        id -> Text,
        request_id -> Text,
        author -> Text,
        author_org_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    framework_agreements (id) {
        id -> Text,
        online_service_id -> Text,
        provider_org_id -> Text,
        land_code -> Text,
        state -> Text,
        version -> Integer,
        terms_text -> Text,
        terms_version -> Text,
        revision -> Integer,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contract_counters (year) {
        year -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    agreements (id) {
        id -> Text,
        number -> Text,
        request_id -> Nullable<Text>,
        framework_agreement_id -> Nullable<Text>,
        framework_version -> Nullable<Integer>,
        parent_agreement_id -> Nullable<Text>,
        online_service_id -> Text,
        listing_version -> Integer,
        listing_content -> Text,
        terms_text -> Text,
        terms_version -> Text,
        provider_org_id -> Text,
        customer_org_id -> Text,
        signatory_org_id -> Text,
        one_off_fee_cents -> BigInt,
        annual_fee_cents -> BigInt,
        first_year_fee_cents -> BigInt,
        cost_key -> Text,
        start_date -> Date,
        minimum_term_months -> Integer,
        notice_months -> Integer,
        end_date -> Nullable<Date>,
        state -> Text,
        provider_signed_at -> Nullable<Timestamp>,
        provider_signed_by -> Nullable<Text>,
        customer_signed_at -> Nullable<Timestamp>,
        customer_signed_by -> Nullable<Text>,
        live_since -> Nullable<Date>,
        revision -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    agreement_documents (id) {
        id -> Text,
        agreement_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    onboarding_steps (agreement_id, step) {
        agreement_id -> Text,
        step -> Text,
        done_by -> Text,
        done_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (org_id, idem_key) {
        org_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status -> Integer,
        response_body -> Text,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        org_id -> Text,
        role -> Text,
        display_name -> Text,
        created_at -> Timestamp,
        email -> Nullable<Text>,
        roles -> Text,
        land_code -> Nullable<Text>,
        mail_opt_out -> Bool,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(kreise -> laender (land_code));
diesel::joinable!(gemeinden -> laender (land_code));
diesel::joinable!(lebenslagen -> themenfelder (themenfeld_id));
diesel::joinable!(ozg_leistungen -> lebenslagen (lebenslage_id));
diesel::joinable!(leika_leistungen -> ozg_leistungen (ozg_id));
diesel::joinable!(online_services -> organisations (provider_org_id));
diesel::joinable!(online_service_ozg_leistungen -> online_services (online_service_id));
diesel::joinable!(online_service_anbindungen -> online_services (online_service_id));

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (position) {
        position -> BigInt,
        id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        resource_type -> Text,
        resource_id -> Text,
        occurred_at -> Timestamp,
        origin -> Text,
        payload -> Text,
    }
}

diesel::table! {
    event_audience (audience, position) {
        audience -> Text,
        position -> BigInt,
    }
}

diesel::joinable!(event_audience -> events (position));

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        org_id -> Text,
        url -> Text,
        event_types -> Text,
        audiences -> Text,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_position -> BigInt,
        event_type -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, attempt) {
        delivery_id -> Text,
        attempt -> Integer,
        attempted_at -> Timestamp,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> Integer,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    events,
    event_audience,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    laender,
    koenigsteiner_shares,
    kreise,
    gemeinden,
    themenfelder,
    lebenslagen,
    ozg_leistungen,
    leika_leistungen,
    organisations,
    online_services,
    online_service_ozg_leistungen,
    online_service_anbindungen,
    efa_mindestanforderungen,
    search_synonyms,
    listing_versions,
    org_memberships,
    audit_events,
    reuse_requests,
    reuse_request_counts,
    audit_counts,
    reuse_request_provider_counts,
    agreement_counts,
    adoption_counts,
    reuse_request_municipalities,
    request_messages,
    framework_agreements,
    contract_counters,
    agreements,
    agreement_documents,
    onboarding_steps,
    idempotency_keys,
    users,
);

// E-mail: the mails made from the outbox's events, and how far the events have been read.
// Queried on their own (no joins).
diesel::table! {
    mail_outbox (id) {
        id -> Text,
        event_id -> Text,
        user_id -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    mail_cursor (id) {
        id -> Integer,
        position -> BigInt,
    }
}

// Keeping the catalogue current (issue 14): versions, retirements, flags, known availability.
diesel::table! {
    catalogue_versions (id) {
        id -> Text,
        kind -> Text,
        source -> Text,
        source_date -> Nullable<Date>,
        created_at -> Timestamp,
        actor -> Text,
        ozg_leistungen -> Integer,
        leika_leistungen -> Integer,
        themenfelder -> Integer,
        lebenslagen -> Integer,
        summary -> Text,
    }
}

diesel::table! {
    ozg_retirements (ozg_id) {
        ozg_id -> Integer,
        retired_at -> Timestamp,
        successor_ozg_id -> Nullable<Integer>,
        version_id -> Text,
    }
}

diesel::table! {
    leika_retirements (leika_id) {
        leika_id -> Integer,
        retired_at -> Timestamp,
        version_id -> Text,
    }
}

diesel::table! {
    listing_flags (id) {
        id -> Text,
        online_service_id -> Text,
        ozg_id -> Integer,
        reason -> Text,
        successor_ozg_id -> Nullable<Integer>,
        version_id -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    known_online (ars, leika_key) {
        ars -> Text,
        leika_key -> Text,
        ozg_id -> Nullable<Integer>,
        url -> Nullable<Text>,
        online_status -> Text,
        art_flaechendeckung -> Nullable<Text>,
        version_id -> Text,
    }
}
