package com.acme.catalog;

import java.util.List;
import lombok.RequiredArgsConstructor;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequiredArgsConstructor
public class ProductController {

    private final ProductRepository products;

    @GetMapping("/products")
    public List<Product> list() {
        return products.findAll();
    }
}
