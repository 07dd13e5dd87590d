{#- GA4 export events, one row per event: base_ga4__event_rows (params unpacked, UTM and click
    ids, the deterministic event_id) with the same event in two current deliveries counted
    once, the latest loaded copy winning (macro latest_event_copies, which the incremental
    GA4 base int_ga4_events_sessioned calls too, on the cookies it recomputes). -#}
{{ latest_event_copies(ref('base_ga4__event_rows')) }}
