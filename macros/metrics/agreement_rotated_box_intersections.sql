{#- Exact intersection area of pairs of rotated rectangles, set-based (no per-row code).
    `relation` has one row per box pair: box_pair_id and, per side s in (a, b), s_x, s_y (the
    top-left corner the box rotates about), s_w, s_h, s_rotation (degrees, clockwise on screen
    with y pointing down, as Label Studio stores it), all in one consistent unit (pixels).
    Method (exact up to floating point): the intersection of two convex polygons is the convex
    polygon whose vertices are A's corners inside B, B's corners inside A and the crossings of A's
    and B's edges. The candidates are ordered by angle around their centroid and the area is the
    shoelace sum. Returns box_pair_id, intersection_area (0 when the boxes do not overlap).
    Verified against an independent Sutherland-Hodgman clipper in tests/agreement/test_geometry.py. -#}
{% macro agreement_rotated_box_intersections(relation) -%}
    {%- set eps = '1e-9' -%}
    with

    box_pairs as (
        select * from {{ relation }}
    ),

    corners as (
        select 0 as corner_index, 0.0 as along_width, 0.0 as along_height
        union all select 1, 1.0, 0.0
        union all select 2, 1.0, 1.0
        union all select 3, 0.0, 1.0
    ),

    {% for side, other in [('a', 'b'), ('b', 'a')] %}
    vertices_{{ side }} as (
        select
            box_pairs.box_pair_id,
            corners.corner_index,
            box_pairs.{{ side }}_x
                + corners.along_width * box_pairs.{{ side }}_w * cos(radians(box_pairs.{{ side }}_rotation))
                - corners.along_height * box_pairs.{{ side }}_h * sin(radians(box_pairs.{{ side }}_rotation)) as vertex_x,
            box_pairs.{{ side }}_y
                + corners.along_width * box_pairs.{{ side }}_w * sin(radians(box_pairs.{{ side }}_rotation))
                + corners.along_height * box_pairs.{{ side }}_h * cos(radians(box_pairs.{{ side }}_rotation)) as vertex_y,
        from box_pairs
        cross join corners
    ),

    {{ side }}_corners_inside_{{ other }} as (
        select
            vertices_{{ side }}.box_pair_id,
            vertices_{{ side }}.vertex_x as point_x,
            vertices_{{ side }}.vertex_y as point_y,
        from vertices_{{ side }}
        inner join box_pairs
            on vertices_{{ side }}.box_pair_id = box_pairs.box_pair_id
        where
            (vertices_{{ side }}.vertex_x - box_pairs.{{ other }}_x) * cos(radians(box_pairs.{{ other }}_rotation))
            + (vertices_{{ side }}.vertex_y - box_pairs.{{ other }}_y) * sin(radians(box_pairs.{{ other }}_rotation))
            between -{{ eps }} and box_pairs.{{ other }}_w + {{ eps }}
            and -(vertices_{{ side }}.vertex_x - box_pairs.{{ other }}_x) * sin(radians(box_pairs.{{ other }}_rotation))
            + (vertices_{{ side }}.vertex_y - box_pairs.{{ other }}_y) * cos(radians(box_pairs.{{ other }}_rotation))
            between -{{ eps }} and box_pairs.{{ other }}_h + {{ eps }}
    ),

    edges_{{ side }} as (
        select
            start_vertex.box_pair_id,
            start_vertex.vertex_x as start_x,
            start_vertex.vertex_y as start_y,
            end_vertex.vertex_x - start_vertex.vertex_x as delta_x,
            end_vertex.vertex_y - start_vertex.vertex_y as delta_y,
        from vertices_{{ side }} as start_vertex
        inner join vertices_{{ side }} as end_vertex
            on start_vertex.box_pair_id = end_vertex.box_pair_id
            and end_vertex.corner_index = (start_vertex.corner_index + 1) % 4
    ),
    {% endfor %}

    edge_pairs as (
        select
            edges_a.box_pair_id,
            edges_a.start_x,
            edges_a.start_y,
            edges_a.delta_x,
            edges_a.delta_y,
            edges_a.delta_x * edges_b.delta_y - edges_a.delta_y * edges_b.delta_x as denominator,
            ((edges_b.start_x - edges_a.start_x) * edges_b.delta_y
                - (edges_b.start_y - edges_a.start_y) * edges_b.delta_x) as numerator_a,
            ((edges_b.start_x - edges_a.start_x) * edges_a.delta_y
                - (edges_b.start_y - edges_a.start_y) * edges_a.delta_x) as numerator_b,
        from edges_a
        inner join edges_b
            on edges_a.box_pair_id = edges_b.box_pair_id
    ),

    edge_crossings as (
        select
            box_pair_id,
            start_x + numerator_a / denominator * delta_x as point_x,
            start_y + numerator_a / denominator * delta_y as point_y,
        from edge_pairs
        where
            abs(denominator) > 1e-12
            and numerator_a / denominator between -{{ eps }} and 1 + {{ eps }}
            and numerator_b / denominator between -{{ eps }} and 1 + {{ eps }}
    ),

    candidate_points as (
        select * from a_corners_inside_b
        union all
        select * from b_corners_inside_a
        union all
        select * from edge_crossings
    ),

    centroids as (
        select
            box_pair_id,
            favg(point_x) as centroid_x,
            favg(point_y) as centroid_y,
        from candidate_points
        group by box_pair_id
    ),

    ordered_points as (
        select
            candidate_points.box_pair_id,
            candidate_points.point_x,
            candidate_points.point_y,
            row_number() over (
                partition by candidate_points.box_pair_id
                order by
                    atan2(candidate_points.point_y - centroids.centroid_y, candidate_points.point_x - centroids.centroid_x),
                    candidate_points.point_x,
                    candidate_points.point_y
            ) as point_order,
            count(*) over (partition by candidate_points.box_pair_id) as n_points,
        from candidate_points
        inner join centroids
            on candidate_points.box_pair_id = centroids.box_pair_id
    ),

    shoelace_terms as (
        select
            this_point.box_pair_id,
            this_point.point_x * next_point.point_y - next_point.point_x * this_point.point_y as cross_term,
        from ordered_points as this_point
        inner join ordered_points as next_point
            on this_point.box_pair_id = next_point.box_pair_id
            and next_point.point_order = case
                when this_point.point_order = this_point.n_points then 1
                else this_point.point_order + 1
            end
    ),

    intersection_areas as (
        select
            box_pairs.box_pair_id,
            coalesce(abs(fsum(shoelace_terms.cross_term)) / 2.0, 0.0) as intersection_area,
        from box_pairs
        left join shoelace_terms
            on box_pairs.box_pair_id = shoelace_terms.box_pair_id
        group by box_pairs.box_pair_id
    )

    select * from intersection_areas
{%- endmacro %}
