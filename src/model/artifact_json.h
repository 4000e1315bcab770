/* JSON objects describing what the image layer found: an input, its
 * volumes, artifacts and problems (toolmark artifacts --json, summary.json). */
#ifndef TM_ARTIFACT_JSON_H
#define TM_ARTIFACT_JSON_H

#include "model/artifact.h"
#include "util/json.h"

/* "input" and "input_id" members. */
void tm_json_input(tm_json *j, const tm_input *in);
/* What the input is as media: format, partition table, size, segments,
 * whether it opened and whether damage was found. */
void tm_json_input_media(tm_json *j, const tm_input *in);
void tm_json_volume(tm_json *j, const tm_input *in, const tm_volume *v);
void tm_json_artifact(tm_json *j, const tm_input *in, const tm_artifact *a);
void tm_json_problem(tm_json *j, const tm_input *in, const tm_problem *p);

#endif
