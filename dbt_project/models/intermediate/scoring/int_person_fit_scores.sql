{#- Fit score per person from the fit rules of seed scoring_rules: per attribute
    (industry, employee_band, title, department) the highest-scoring matching rule counts
    once, the sum is capped to 0..100, and the fit letter is the best fit_grade band whose
    min_score the score reaches. A rule's regex matches WHOLE WORDS of the lower-cased
    value: it must start at the beginning or after a character that is not a Latin letter
    or digit, and end at the end or before one, so `coo` matches "COO" and "CEO/COO" but
    not "Coordinator", `it` matches "IT Manager" but not "Quality" or "hospitality";
    Japanese titles have no spaces, so 部長 still matches 営業部長. employee_band rules
    compare the band exactly. -#}
with attributes as (
    select
        person_id,
        lower(industry) as industry,
        case
            when employee_count >= 1000 then '1000+'
            when employee_count >= 300 then '300-999'
            when employee_count >= 100 then '100-299'
            when employee_count >= 50 then '50-99'
            when employee_count >= 1 then '1-49'
        end as employee_band,
        lower(title) as title,
        lower(department) as department
    from {{ ref('int_person_attributes') }}
),

values_long as (
    select person_id, 'industry' as attribute, industry as attribute_value from attributes
    union all
    select person_id, 'employee_band', employee_band from attributes
    union all
    select person_id, 'title', title from attributes
    union all
    select person_id, 'department', department from attributes
),

rules as (
    select
        attribute,
        match_value,
        points,
        '(^|[^a-z0-9])(' || match_value || ')($|[^a-z0-9])' as word_pattern
    from {{ ref('scoring_rules') }}
    where axis = 'fit'
),

value_points as (
    -- each distinct value is matched once: the patterns come from a seed column, so a regex
    -- is compiled per row it is tried on, and people share titles and industries (measured
    -- at medium: the per-person join took 1.6 s of CPU for 14,491 people)
    select
        distinct_values.attribute,
        distinct_values.attribute_value,
        max(rules.points) as points
    from (
        select distinct attribute, attribute_value
        from values_long
        where attribute_value is not null
    ) as distinct_values
    inner join rules
        on distinct_values.attribute = rules.attribute
        and (
            (rules.attribute = 'employee_band' and distinct_values.attribute_value = rules.match_value)
            or (
                rules.attribute <> 'employee_band'
                and {{ regex_matches('distinct_values.attribute_value', 'rules.word_pattern') }}
            )
        )
    group by distinct_values.attribute, distinct_values.attribute_value
),

matched as (
    select
        values_long.person_id,
        values_long.attribute,
        value_points.points
    from values_long
    inner join value_points
        on values_long.attribute = value_points.attribute
        and values_long.attribute_value = value_points.attribute_value
),

scored as (
    select
        attributes.person_id,
        least(greatest(coalesce(sum(matched.points), 0), 0), 100) as fit_score
    from attributes
    left join matched on attributes.person_id = matched.person_id
    group by attributes.person_id
),

bands as (
    select match_value as fit_letter, points as min_score
    from {{ ref('scoring_rules') }}
    where axis = 'fit_grade'
)

select
    scored.person_id,
    cast(scored.fit_score as {{ type_double() }}) as fit_score,
    (
        select bands.fit_letter from bands
        where scored.fit_score >= bands.min_score
        order by bands.min_score desc limit 1
    ) as fit_letter
from scored
