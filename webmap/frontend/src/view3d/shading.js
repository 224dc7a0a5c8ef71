// How buildings are shaded. Their colour always comes from the style (height or storeys
// classes), over a neutral matte surface whatever material the tiles carry; with the sun on
// they are lit by it and cast shadows, without it they are drawn in the legend's flat colours.
import { CustomShader, LightingModel } from 'cesium';

const MATTE = `
void fragmentMain(FragmentInput fsInput, inout czm_modelMaterial material) {
  material.diffuse = vec3(0.95);
  material.specular = vec3(0.04);
  material.roughness = 0.85;
  material.emissive = vec3(0.0);
}`;

const FLAT = `
void fragmentMain(FragmentInput fsInput, inout czm_modelMaterial material) {
  material.diffuse = vec3(1.0);
  material.emissive = vec3(0.0);
}`;

export const SUNLIT = new CustomShader({ lightingModel: LightingModel.PBR, fragmentShaderText: MATTE });
export const FLAT_COLOURS = new CustomShader({ lightingModel: LightingModel.UNLIT, fragmentShaderText: FLAT });
