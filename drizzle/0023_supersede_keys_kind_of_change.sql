-- Supersede keys carry the kind of change since c7bcf20 (src/templates/subjects.ts): a net
-- template's range key is `simple-n:range:4:S-E`, no longer `range:4:S-E`, and a new net is also
-- known by its network name and holder (`simple-n:name:NET|HOLDER`). Rows stored before kept the
-- old shape, which no later approval's keys match: their open rejections were never closed by the
-- corrected resend. This rewrites each old `range:` key to the kind the row asked, worked out as
-- subjects.ts works it out: from the stored request's kind (KIND_OF_REQUEST), or, for a template
-- refused at reading (no request), from its form and its action (kindOfForm: forms without an
-- action field create, `N`; else the value of field 01 in the stored echo). A key whose kind
-- cannot be told (a form or action no kind belongs to, as subjects.ts gives none) is dropped: it
-- matched nothing any more. Parsed new nets also get their name key, as requestSubjects writes
-- it. Removal keys (`remove:range:...`) and handle keys (`poc:`, `org:`) did not change.
WITH old AS (
  SELECT t.submission_id, t.template_index, t.subjects,
    CASE
      WHEN t.request_kind IS NOT NULL THEN
        CASE t.request_kind
          WHEN 'reassign-simple.create' THEN 'simple-n'
          WHEN 'reassign-simple.modify' THEN 'simple-m'
          WHEN 'reassign-detailed' THEN 'detailed-n'
          WHEN 'reallocate' THEN 'realloc-n'
          WHEN 'net.modify' THEN 'netmod-m'
        END
      ELSE (
        SELECT CASE
          WHEN f.name = 'ARIN-REASSIGN-SIMPLE' AND f.action = 'N' THEN 'simple-n'
          WHEN f.name = 'ARIN-REASSIGN-SIMPLE' AND f.action = 'M' THEN 'simple-m'
          WHEN f.name ~ 'NET-MOD$' AND f.action = 'M' THEN 'netmod-m'
          WHEN f.name ~ 'REASSIGN(-DETAILED)?$' THEN 'detailed-n'
          WHEN f.name ~ 'REALLOCATE$' THEN 'realloc-n'
        END
        FROM (
          SELECT upper(t.form) AS name,
            upper(substring(t.echo FROM '(?:^|\n)[ \t]*0?1\.[^:\n]*:[ \t]*([NMRnmr])[ \t]*(?:\r?\n|$)')) AS action
        ) AS f
      )
    END AS kind,
    -- A new net's names, folded as nameSubject folds them (trimmed, spaces as one, upper case).
    CASE WHEN t.request_kind IN ('reassign-simple.create', 'reassign-detailed', 'reallocate') THEN
      (SELECT upper(regexp_replace(regexp_replace(n.net, '^\s+|\s+$', '', 'g'), '\s+', ' ', 'g'))
          || '|' || upper(regexp_replace(regexp_replace(n.holder, '^\s+|\s+$', '', 'g'), '\s+', ' ', 'g'))
        FROM (
          SELECT t.request ->> 'networkName' AS net,
            CASE t.request_kind
              WHEN 'reassign-simple.create' THEN t.request -> 'customer' ->> 'name'
              ELSE coalesce(t.request -> 'downstreamOrg' ->> 'handle',
                t.request -> 'downstreamOrg' -> 'create' ->> 'name')
            END AS holder
        ) AS n
        WHERE n.net <> '' AND n.holder <> '')
    END AS names
  FROM submission_templates AS t
  WHERE EXISTS (SELECT 1 FROM unnest(t.subjects) AS s(key) WHERE s.key LIKE 'range:%')
)
UPDATE submission_templates AS t
SET subjects = ARRAY(
  SELECT DISTINCT ON (k.key) k.key FROM (
    SELECT CASE WHEN s.key LIKE 'range:%' THEN old.kind || ':' || s.key ELSE s.key END AS key, s.at
    FROM unnest(old.subjects) WITH ORDINALITY AS s(key, at)
    WHERE s.key NOT LIKE 'range:%' OR old.kind IS NOT NULL
    UNION ALL
    SELECT old.kind || ':name:' || old.names, 2147483647
    WHERE old.kind IS NOT NULL AND old.names IS NOT NULL
  ) AS k
  ORDER BY k.key, k.at
)
FROM old
WHERE t.submission_id = old.submission_id AND t.template_index = old.template_index;
