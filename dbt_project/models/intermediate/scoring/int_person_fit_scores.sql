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

matched as (
    select
        values_long.person_id,
        values_long.attribute,
        max(rules.points) as points
    from values_long
    inner join rules
        on values_long.attribute = rules.attribute
        and (
            (rules.attribute = 'employee_band' and values_long.attribute_value = rules.match_value)
            or (
                rules.attribute <> 'employee_band'
                and {{ regex_matches('values_long.attribute_value', 'rules.word_pattern') }}
            )
        )
    where values_long.attribute_value is not null
    group by values_long.person_id, values_long.attribute
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
