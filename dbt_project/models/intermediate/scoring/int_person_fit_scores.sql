{#- Fit score per person from the fit rules of seed scoring_rules: per attribute
    (industry, employee_band, title, department) the highest-scoring matching rule counts
    once (regex match on the lower-cased value), the sum is capped to 0..100, and the fit
    letter is the best fit_grade band whose min_score the score reaches. -#}
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

rules as (
    select attribute, match_value, points
    from {{ ref('scoring_rules') }}
    where axis = 'fit'
),

values_long as (
    unpivot attributes
    on industry, employee_band, title, department
    into name attribute value attribute_value
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
                and regexp_matches(values_long.attribute_value, rules.match_value)
            )
        )
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
    cast(scored.fit_score as double) as fit_score,
    (
        select bands.fit_letter from bands
        where scored.fit_score >= bands.min_score
        order by bands.min_score desc limit 1
    ) as fit_letter
from scored
