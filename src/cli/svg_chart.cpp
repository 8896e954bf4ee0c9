// Inline-SVG line charts for `gradlab report` (see svg_chart.h).
#include "cli/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace gradlab::cli {

namespace {

// Colour-blind-friendly palette (Okabe & Ito 2008), cycled over series.
const char* const kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                               "#E69F00", "#56B4E9", "#000000", "#F0E442"};

const char* series_color(const ChartSeries& series, size_t position) {
  const size_t n = sizeof kColors / sizeof kColors[0];
  return kColors[(series.color >= 0 ? static_cast<size_t>(series.color) : position) % n];
}

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

// Ticks at 1-2-5 multiples of a power of ten, about `target` of them within [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
  std::vector<double> ticks;
  double span = hi - lo;
  if (!(span > 0)) return {lo};
  double raw = span / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step)
    ticks.push_back(std::abs(t) < 1e-12 * step ? 0.0 : t);
  return ticks;
}

// Log axis (values are log10): whole decades, thinned to at most ~7; a range of less than
// three decades gets 1-2-5 (or 1..9) multiples of its decades instead.
std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  double first = std::ceil(lo), last = std::floor(hi);
  int count = static_cast<int>(last - first) + 1;
  if (count >= 3) {
    int stride = std::max(1, (count + 6) / 7);
    for (double t = first; t <= last; t += stride) ticks.push_back(t);
    return ticks;
  }
  for (const std::vector<double>& multiples :
       {std::vector<double>{1, 2, 5}, std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    ticks.clear();
    for (double k = std::floor(lo); k <= std::ceil(hi); ++k)
      for (double m : multiples) {
        double t = k + std::log10(m);
        if (t >= lo && t <= hi) ticks.push_back(t);
      }
    if (ticks.size() >= 3) return ticks;
  }
  return nice_ticks(lo, hi, 4);
}

// Keeps, per pixel column, the first, lowest, highest and last point (in order).
std::vector<std::pair<double, double>> thin(const std::vector<std::pair<double, double>>& pts) {
  std::vector<std::pair<double, double>> out;
  size_t i = 0;
  while (i < pts.size()) {
    size_t j = i;
    const double column = std::floor(pts[i].first);
    size_t lo = i, hi = i;
    while (j < pts.size() && std::floor(pts[j].first) == column) {
      if (pts[j].second < pts[lo].second) lo = j;
      if (pts[j].second > pts[hi].second) hi = j;
      ++j;
    }
    std::vector<size_t> keep = {i, lo, hi, j - 1};
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    for (size_t k : keep) out.push_back(pts[k]);
    i = j;
  }
  return out;
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_number(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, value);
  return buf;
}

std::string svg_line_chart(const ChartSpec& spec, int width, int height) {
  auto ty = [&](double v) { return spec.log_y ? std::log10(v) : v; };
  auto drawable = [&](double v) { return std::isfinite(v) && (!spec.log_y || v > 0); };

  // Legend layout first: it decides the top margin.
  struct LegendItem {
    size_t series;
    double x, y;
  };
  std::vector<LegendItem> legend;
  const double left = 72, right = 16, bottom = 42;
  double lx = left, ly = 16;
  std::vector<size_t> drawn;
  Range xr, yr;
  for (size_t s = 0; s < spec.series.size(); ++s) {
    bool any = false;
    for (const auto& [x, y] : spec.series[s].points) {
      if (!std::isfinite(x) || !drawable(y)) continue;
      xr.add(x);
      yr.add(ty(y));
      any = true;
    }
    if (!any) continue;
    drawn.push_back(s);
    if (spec.series[s].label.empty()) continue;  // drawn, but not in the legend
    double item_width = 34 + 6.6 * static_cast<double>(spec.series[s].label.size());
    if (lx + item_width > width - right && lx > left) {
      lx = left;
      ly += 16;
    }
    legend.push_back({s, lx, ly});
    lx += item_width + 14;
  }
  const double top = ly + 14;
  const double pw = width - left - right, ph = height - top - bottom;

  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
     << "\" viewBox=\"0 0 " << width << " " << height
     << "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">\n";
  os << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
     << "\" fill=\"#fff\" stroke=\"#bbb\"/>\n";
  if (drawn.empty()) {
    os << "<text x=\"" << left + pw / 2 << "\" y=\"" << top + ph / 2
       << "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n</svg>\n";
    return os.str();
  }
  if (spec.include_zero && !spec.log_y) yr.add(0.0);
  if (!(xr.hi > xr.lo)) xr.hi = xr.lo + 1;
  if (!(yr.hi > yr.lo)) {
    double pad = yr.lo == 0 ? 1 : std::abs(yr.lo) * 0.1;
    yr.lo -= pad;
    yr.hi += pad;
  } else {
    double pad = 0.04 * (yr.hi - yr.lo);
    if (!(spec.include_zero && yr.lo == 0)) yr.lo -= pad;
    yr.hi += pad;
  }
  auto px = [&](double x) { return left + (x - xr.lo) / (xr.hi - xr.lo) * pw; };
  auto py = [&](double v) { return top + ph - (v - yr.lo) / (yr.hi - yr.lo) * ph; };

  // Grid and tick labels.
  for (double t : spec.log_y ? log_ticks(yr.lo, yr.hi) : nice_ticks(yr.lo, yr.hi)) {
    double y = py(t);
    os << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << fixed1(y) << "\" y2=\""
       << fixed1(y) << "\" stroke=\"#eee\"/>";
    os << "<text x=\"" << left - 6 << "\" y=\"" << fixed1(y + 4) << "\" text-anchor=\"end\">"
       << escape_html(format_number(spec.log_y ? std::pow(10.0, t) : t, 3)) << "</text>\n";
  }
  for (double t : nice_ticks(xr.lo, xr.hi, 6)) {
    double x = px(t);
    os << "<line x1=\"" << fixed1(x) << "\" x2=\"" << fixed1(x) << "\" y1=\"" << top << "\" y2=\""
       << top + ph << "\" stroke=\"#eee\"/>";
    os << "<text x=\"" << fixed1(x) << "\" y=\"" << top + ph + 15 << "\" text-anchor=\"middle\">"
       << escape_html(format_number(t, 6)) << "</text>\n";
  }
  os << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 8 << "\" text-anchor=\"middle\">"
     << escape_html(spec.x_label) << "</text>\n";
  os << "<text transform=\"translate(14," << top + ph / 2
     << ") rotate(-90)\" text-anchor=\"middle\">"
     << escape_html(spec.y_label + (spec.log_y ? " (log scale)" : "")) << "</text>\n";

  // Series: one <path> each; a non-drawable value breaks the line.
  for (size_t s : drawn) {
    const ChartSeries& series = spec.series[s];
    const char* color = series_color(series, s);
    std::vector<std::vector<std::pair<double, double>>> pieces(1);
    for (const auto& [x, y] : series.points) {
      if (!std::isfinite(x) || !drawable(y)) {
        if (!pieces.back().empty()) pieces.emplace_back();
        continue;
      }
      pieces.back().emplace_back(px(x), py(ty(y)));
    }
    std::string d;
    for (const auto& piece : pieces) {
      if (piece.empty()) continue;
      std::vector<std::pair<double, double>> pts = piece.size() > 4 * pw ? thin(piece) : piece;
      for (size_t i = 0; i < pts.size(); ++i)
        d += (i == 0 ? "M" : "L") + fixed1(pts[i].first) + "," + fixed1(pts[i].second) + " ";
      if (pts.size() == 1) d += "h0.01 ";  // a lone point still shows (round cap)
    }
    os << "<path data-key=\"" << escape_html(series.key) << "\" d=\"" << d
       << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"" << series.width
       << "\" stroke-linecap=\"round\" stroke-linejoin=\"round\""
       << (series.dashed ? " stroke-dasharray=\"7 5\"" : "") << "/>\n";
  }
  for (const LegendItem& item : legend) {
    const ChartSeries& series = spec.series[item.series];
    const char* color = series_color(series, item.series);
    os << "<line x1=\"" << item.x << "\" x2=\"" << item.x + 26 << "\" y1=\"" << item.y - 4
       << "\" y2=\"" << item.y - 4 << "\" stroke=\"" << color << "\" stroke-width=\"2\""
       << (series.dashed ? " stroke-dasharray=\"7 5\"" : "") << "/>";
    os << "<text x=\"" << item.x + 32 << "\" y=\"" << item.y << "\">" << escape_html(series.label)
       << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

}  // namespace gradlab::cli
