{#- The build's as-of moment: everything "up to now" (decay, lifecycle, speed to lead, LTV)
    is measured against it, so a replay of last month gives last month's numbers.

    var as_of, else the environment variable REVLOOP_AS_OF, else the moment this dbt
    invocation started, in UTC (`run_started_at`), so a nightly run always sees last night's
    events. `dbt build --vars '{as_of: ...}'` pins it for replays, backfills and tests;
    `revloop run` (its --as-of or the run's start) hands it over as REVLOOP_AS_OF instead,
    because a changed --vars makes dbt throw away its partial parse (a full re-parse of the
    project every night), while a changed env var re-parses only the files that read it.
    Returns a SQL expression of type timestamp with time zone. -#}
{% macro as_of() -%}
  {{ return(adapter.dispatch('as_of', 'revloop')()) }}
{%- endmacro %}

{% macro as_of_literal() -%}
  {#- The as-of moment as 'YYYY-MM-DD HH:MM:SS' UTC text (no quotes). -#}
  {%- set value = var('as_of', none) or env_var('REVLOOP_AS_OF', '') -%}
  {%- if value is none or (value | string | trim) == '' -%}
    {{ return(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }}
  {%- endif -%}
  {%- set text = (value | string | trim) | replace('T', ' ') -%}
  {%- if text.endswith('Z') -%}{%- set text = text[:-1] -%}{%- endif -%}
  {%- if text.endswith('+00:00') -%}{%- set text = text[:-6] -%}{%- endif -%}
  {{ return(text) }}
{%- endmacro %}

{% macro default__as_of() -%}
  cast('{{ as_of_literal() }}+00:00' as timestamp with time zone)
{%- endmacro %}

{% macro duckdb__as_of() -%}
  cast('{{ as_of_literal() }}+00:00' as timestamptz)
{%- endmacro %}
