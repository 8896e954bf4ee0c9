// Line charts as inline SVG text, for `gradlab report` (a page with no JavaScript, no CDN).
//
// A chart is a few named series of (x, y) points drawn as <path> elements, each tagged
// data-key="<metric key>" so tests and scripts can find them; axes with "nice" ticks
// (1-2-5 steps, or decades on a log axis), a legend, and optional dashed lines (the
// 2/η threshold of an edge-of-stability run). Long series are thinned per pixel column
// (first, min, max, last kept), so a 100k-step run still gives a small page that looks
// the same as drawing every point.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gradlab::cli {

struct ChartSeries {
  std::string key;                                // metric key (data-key attribute)
  std::string label;                              // legend text; empty = not in the legend
  std::vector<std::pair<double, double>> points;  // (step, value), in step order
  bool dashed = false;
  double width = 1.6;
  int color = -1;  // palette index; -1 = the series' position in the chart
};

struct ChartSpec {
  std::string x_label = "step";
  std::string y_label;
  bool log_y = false;         // non-positive values are left out (a gap in the line)
  bool include_zero = false;  // the y range reaches down (or up) to 0
  std::vector<ChartSeries> series;
};

// The <svg> element (width × height pixels). Series without drawable points are skipped;
// a chart with none says so in its middle.
std::string svg_line_chart(const ChartSpec& spec, int width = 720, int height = 300);

// HTML/XML text escaping (& < > " ').
std::string escape_html(const std::string& text);

// A number for labels and tables: up to `digits` significant digits, %g style.
std::string format_number(double value, int digits = 6);

}  // namespace gradlab::cli
