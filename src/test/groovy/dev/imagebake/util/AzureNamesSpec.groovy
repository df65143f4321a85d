package dev.imagebake.util

import spock.lang.Specification

import static dev.imagebake.util.AzureNames.Kind.*

/** Azure's naming rules (src/docs/azure-names.md), at their edges. */
class AzureNamesSpec extends Specification {
    def "#kind '#name' is #verdict"() {
        expect:
        AzureNames.problem(kind, name) == problem

        where:
        kind                  | name                  || problem
        MANAGED_IMAGE         | 'web-2024.01_'        || null
        MANAGED_IMAGE         | 'w' * 80              || null
        MANAGED_IMAGE         | 'w' * 81              || 'it is 81 characters long'
        MANAGED_IMAGE         | ''                    || 'it is empty'
        MANAGED_IMAGE         | 'bad name/with slash' || "it contains a space and '/'"
        MANAGED_IMAGE         | 'wëb'                 || "it contains 'ë' (not an ASCII letter or digit)"
        MANAGED_IMAGE         | '_web'                || "it starts with '_'"
        MANAGED_IMAGE         | 'web-'                || "it ends in '-'"
        GALLERY               | 'corp_images.v2'      || null
        GALLERY               | 'corp-images'         || "it contains '-'"
        GALLERY               | 'corp.'               || "it ends in '.'"
        GALLERY_IMAGE         | 'ubuntu-22.04_lts'    || null
        GALLERY_IMAGE         | 'web_'                || "it ends in '_'"
        GALLERY_IMAGE_VERSION | '0.0.2147483647'      || null
        GALLERY_IMAGE_VERSION | '1.0.2147483648'      || '2147483648 is over 2147483647'
        GALLERY_IMAGE_VERSION | '1.0'                 || 'it has 2 parts, not 3'
        GALLERY_IMAGE_VERSION | '1.0.x'               || "'x' is not a whole number"
        GALLERY_IMAGE_VERSION | '1.0.99999999999'     || '99999999999 is over 2147483647'
        RESOURCE_GROUP        | 'rg-grün_(1)'         || null
        RESOURCE_GROUP        | 'r' * 90              || null
        RESOURCE_GROUP        | 'r' * 91              || 'it is 91 characters long'
        RESOURCE_GROUP        | 'rg.'                 || "it ends in '.'"
        RESOURCE_GROUP        | 'rg/web'              || "it contains '/'"
        SCALE_SET             | 'web-fleet.1'         || null
        SCALE_SET             | 'web fleet'           || 'it contains a space'
        SCALE_SET             | 'web@fleet'           || "it contains '@'"
        VIRTUAL_MACHINE       | 'vm-'                 || "it ends in '-'"
        VIRTUAL_MACHINE       | 'v' * 65              || 'it is 65 characters long'
        VIRTUAL_NETWORK       | 'v'                   || 'it is 1 character long'
        SUBNET                | 'default'             || null

        verdict = problem == null ? 'accepted' : 'refused: ' + problem
    }
}
