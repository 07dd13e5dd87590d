{#- Invariant of mart_pipeline_velocity: the four driver contributions add up to the
    month's change in velocity (exactly, up to floating point). A failing row means the
    log-mean decomposition is broken and RevOps would be told the wrong driver moved. -#}
select *
from {{ ref('mart_pipeline_velocity') }}
where contribution_open_opportunities is not null
  and abs(
      contribution_open_opportunities + contribution_avg_deal_size + contribution_win_rate
      + contribution_cycle_days - velocity_change
  ) > 1e-6 * (case when abs(velocity_change) > 1 then abs(velocity_change) else 1 end)
