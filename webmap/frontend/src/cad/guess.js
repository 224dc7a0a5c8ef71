// A first guess of the planning layer kind from a CAD layer's name, the way Vietnamese
// institutes name them (QH_RANHGIOI_LO, CHI_GIOI_DO, GIAO_THONG, KHUNG_TEN…) and English
// ones. The planner checks every guess; unknown names are ignored until mapped.

// Tested in order: the first rule that matches wins.
const RULES = [
  ['ignore', /_(0|DEFPOINTS|KHUNG|KHUNG_?TEN|FRAME|TITLE|VIEWPORT|VPORT|DIM|KICH_?THUOC|LUOI|GRID|DONG_?MUC|CONTOUR)_/],
  // Building lines: red-line features typed "building line" (importers/cad/mapping.py).
  ['buildlines', /CHI_?GIOI_?(XD|XAY_?DUNG)|_CGXD_|BUILDING_?LINE|SETBACK|_LUI_/],
  ['redlines', /CHI_?GIOI|DUONG_?DO_|_CGD_|RED_?LINE/],
  ['landuse', /RANH_?GIOI_?LO|_LO_?DAT_|_LO_|KY_?HIEU_?LO|HATCH|SU_?DUNG_?DAT|_SDD_|LAND_?USE|_LOTS?_|_ZONES?_|_O_?DAT_|CHUC_?NANG/],
  ['boundary', /RANH_?GIOI|PHAM_?VI|BOUNDARY|_RANH_/],
  ['roads', /GIAO_?THONG|TIM_?DUONG|_DUONG|LO_?GIOI|VIA_?HE|ROAD|STREET|_GT_/],
  ['infrastructure', /HTKT|CAP_?NUOC|THOAT_?NUOC|CAP_?DIEN|_DIEN_|CHIEU_?SANG|VIEN_?THONG|INFRA|PIPE|SEWER/],
  ['buildings', /_NHA|CONG_?TRINH|BUILDING|_3D_|KHOI_?NHA/],
  ['annotation', /TEXT|_CHU_|GHI_?CHU|ANNO|LABEL|KY_?HIEU/],
];

/** Upper case, no diacritics, every run of other characters one "_", framed by "_". */
export function normalise(name) {
  const plain = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'D');
  return `_${plain.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_`;
}

/** The guessed kind code among `available` (a Set of codes), or null when the name says nothing. */
export function guessKind(name, available) {
  const key = normalise(name);
  const rule = RULES.find(([, pattern]) => pattern.test(key));
  if (!rule) return null;
  const [kind] = rule;
  return !available || available.has(kind) ? kind : null;
}
