-- A failure means a score left its documented range (fit and combined 0..100, behaviour
-- >= 0 before unsubscribe penalties cap at 0 in the combined score): check seed scoring_rules.
select person_id, fit_score, behavior_score, score
from {{ ref('fct_lead_scores') }}
where fit_score not between 0 and 100
   or score not between 0 and 100
